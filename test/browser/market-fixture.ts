import { mulberry32 } from '@confluence/testkit';
import {
  type AlertsData,
  COMPONENT_NAMES,
  type CalibrationData,
  type ComponentName,
  type Direction,
  type Envelope,
  type HeartbeatData,
  type HistoryData,
  type Kind,
  type Keys,
  type MarketSource,
  type SymbolDetail,
  type SymbolRow,
  type SymbolsData,
  TIMEFRAMES,
  computeOverview,
  encodeEnvelope,
  makeEnvelope,
} from '@confluence/contracts';
import type { Cache } from '@confluence/cache';

/**
 * A deterministic, contract-shaped market for the browser tests: rows, details, history, alerts, calibration
 * and time-travel snapshots, published to Memcached the way the analyzer does (details, then table and
 * overview, then the heartbeat that tells the web a new generation is there).
 */

const WEIGHTS: Record<ComponentName, number> = { technical: 0.25, volume: 0.15, orderflow: 0.2, orderbook: 0.1, structure: 0.2, sentiment: 0.1 };
const NAMES = [
  'BTCUSDT',
  'ETHUSDT',
  'SOLUSDT',
  'XRPUSDT',
  'DOGEUSDT',
  'BNBUSDT',
  'ADAUSDT',
  'AVAXUSDT',
  'LINKUSDT',
  'SUIUSDT',
  'LTCUSDT',
  'DOTUSDT',
  'TONUSDT',
  'NEARUSDT',
  '1000PEPEUSDT',
];

/** Exchange-style tick sizes: BTC-like 0.1, PEPE-like 0.0000001, others about five significant digits. */
function tickFor(symbol: string, price: number): number {
  if (symbol === 'BTCUSDT') return 0.1;
  if (symbol === 'ETHUSDT') return 0.01;
  if (symbol === '1000PEPEUSDT') return 0.0000001;
  return 10 ** (Math.floor(Math.log10(price)) - 4);
}

function onTick(price: number, tick: number): number {
  const d = Math.max(0, Math.round(-Math.log10(tick)));
  return Number((Math.round(price / tick) * tick).toFixed(d));
}

const round = (v: number, d = 1): number => Math.round(v * 10 ** d) / 10 ** d;
const clamp = (v: number): number => Math.max(0, Math.min(100, v));

export function directionOf(score: number | null): Direction | null {
  if (score === null) return null;
  return score >= 60 ? 'Bullish' : score <= 40 ? 'Bearish' : 'Neutral';
}

interface SymState {
  symbol: string;
  price: number;
  tickSize: number;
  change24h: number;
  turnover24h: number;
  fundingRate: number;
  /** Minutes between funding settlements: most 8 h, some 4 h and 1 h, as on Bybit. */
  fundingIntervalMinutes: number;
  openInterest: number;
  components: Record<ComponentName, number | null>;
  /** A fixed score that overrides the weighted one (tests set it to move a row across a threshold). */
  pinnedScore: number | null;
  updatedAt: number;
  dataOk: boolean;
  lastMove: SymbolRow['lastMove'];
  rationale: string | null;
  history: Array<[number, number | null, number | null]>;
}

export interface PublishOptions {
  source?: MarketSource;
  analyzerId?: string;
  publishIntervalMs?: number;
  /** Write the detail and history keys too (slower with 500 symbols; the table does not need them). */
  details?: boolean;
}

export class MarketFixture {
  generation = 0;
  readonly startedAt: number;
  private readonly rnd: () => number;
  private readonly syms: SymState[] = [];
  pending: string[] = [];
  /** When set, every 24 h change is forced to this sign (e.g. a market where nothing is up). */
  private changeSign: 1 | -1 | null = null;
  /** The heartbeat reports the exchange connection down (the analyzer itself keeps publishing). */
  feedDown = false;

  constructor(count: number, seed = 1, now = Date.now()) {
    this.rnd = mulberry32(seed);
    this.startedAt = now;
    for (let i = 0; i < count; i++) {
      const symbol = i < NAMES.length ? NAMES[i] : `S${String(i).padStart(3, '0')}USDT`;
      const raw = i === 0 ? 97_000 + this.rnd() * 2000 : i === 1 ? 3500 + this.rnd() * 100 : symbol === '1000PEPEUSDT' ? 0.0124117 : 10 ** (this.rnd() * 5 - 2);
      const tickSize = tickFor(symbol, raw);
      const price = onTick(raw, tickSize);
      const components = {} as Record<ComponentName, number | null>;
      for (const c of COMPONENT_NAMES) components[c] = round(25 + this.rnd() * 50);
      // A few rows miss a component, as real ones do while their inputs warm up.
      if (i % 7 === 3) components.sentiment = null;
      if (i % 11 === 5) components.orderbook = null;
      this.syms.push({
        symbol,
        price,
        tickSize,
        change24h: round((this.rnd() - 0.5) * 0.16, 5),
        turnover24h: 10 ** (6 + this.rnd() * 4),
        fundingRate: round((this.rnd() - 0.45) * 0.001, 6),
        fundingIntervalMinutes: i % 5 === 2 ? 60 : i % 3 === 1 ? 240 : 480,
        openInterest: 10 ** (4 + this.rnd() * 4),
        components,
        pinnedScore: null,
        updatedAt: now,
        dataOk: true,
        lastMove: null,
        rationale: null,
        history: [],
      });
    }
    for (let m = 60; m >= 1; m--) {
      const t = Math.floor((now - m * 60_000) / 60_000) * 60_000;
      for (const s of this.syms) s.history.push([t, round(this.score(s) ?? 50 + Math.sin(m / 5) * 10), s.price * (1 + Math.sin(m / 9) * 0.01)]);
    }
  }

  get symbols(): string[] {
    return this.syms.map((s) => s.symbol);
  }

  private state(symbol: string): SymState {
    const s = this.syms.find((x) => x.symbol === symbol);
    if (!s) throw new Error(`fixture has no ${symbol}`);
    return s;
  }

  private score(s: SymState): number | null {
    if (!s.dataOk) return null;
    if (s.pinnedScore !== null) return s.pinnedScore;
    let sum = 0;
    let w = 0;
    for (const c of COMPONENT_NAMES) {
      const v = s.components[c];
      if (v !== null) {
        sum += v * WEIGHTS[c];
        w += WEIGHTS[c];
      }
    }
    return w > 0 ? round(sum / w) : null;
  }

  /** Moves every symbol a little, as one analyzer cycle would. */
  step(now = Date.now()): void {
    for (const s of this.syms) {
      const before = this.score(s);
      s.price = onTick(s.price * (1 + (this.rnd() - 0.5) * 0.002), s.tickSize);
      s.change24h = round(s.change24h + (this.rnd() - 0.5) * 0.002, 5);
      for (const c of COMPONENT_NAMES) {
        const v = s.components[c];
        if (v !== null) s.components[c] = round(clamp(v + (this.rnd() - 0.5) * 4));
      }
      s.updatedAt = now - Math.floor(this.rnd() * 1500);
      this.recordMove(s, before, now);
    }
  }

  private recordMove(s: SymState, before: number | null, now: number): void {
    if (s.rationale !== null) return;
    const after = this.score(s);
    if (before === null || after === null || Math.abs(after - before) < 0.05) return;
    const delta = round(after - before);
    const top = [...COMPONENT_NAMES].filter((c) => s.components[c] !== null).slice(0, 2);
    s.lastMove = {
      from: before,
      to: after,
      delta,
      at: now,
      summary: `${top[0] ?? 'technical'} ${delta >= 0 ? '+' : ''}${delta} (momentum ${delta >= 0 ? 'up' : 'down'})`,
      parts: top.map((c) => ({ component: c, delta: round(delta / 2), cause: delta >= 0 ? 'buyers stepped in' : 'sellers pressed' })),
    };
  }

  /** Pins a symbol's score (recording the move), e.g. to push it across a direction threshold. */
  setScore(symbol: string, score: number, now = Date.now()): void {
    const s = this.state(symbol);
    const before = this.score(s);
    s.pinnedScore = score;
    s.updatedAt = now;
    this.recordMove(s, before, now);
  }

  /** Free text that must be rendered as text: the row's move summary and the detail's rationale. */
  setText(symbol: string, text: string): void {
    const s = this.state(symbol);
    s.rationale = text;
    const score = this.score(s);
    s.lastMove = {
      from: score,
      to: score,
      delta: 0.5,
      at: Date.now(),
      summary: text,
      parts: [{ component: 'technical', delta: 0.5, cause: text.slice(0, 200) }],
    };
  }

  setChangeSign(sign: 1 | -1 | null): void {
    this.changeSign = sign;
  }

  setDataOk(symbol: string, ok: boolean): void {
    this.state(symbol).dataOk = ok;
  }

  row(s: SymState): SymbolRow {
    const score = this.score(s);
    const direction = directionOf(score);
    return {
      symbol: s.symbol,
      score,
      direction,
      strength: score === null || direction === 'Neutral' ? null : score >= 70 || score <= 30 ? 'strong' : 'moderate',
      confidence: score === null ? 0 : round(0.45 + (Math.abs(score - 50) / 50) * 0.5, 3),
      price: s.price,
      change24h: this.changeSign === null ? s.change24h : this.changeSign * Math.max(0.0001, Math.abs(s.change24h)),
      turnover24h: s.turnover24h,
      volume24h: s.turnover24h / s.price,
      fundingRate: s.fundingRate,
      funding: this.funding(s),
      openInterest: s.openInterest,
      openInterestValue: s.openInterest * s.price,
      tickSize: s.tickSize,
      components: s.dataOk ? { ...s.components } : { technical: null, volume: null, orderflow: null, orderbook: null, structure: null, sentiment: null },
      updatedAt: s.updatedAt,
      dataOk: s.dataOk,
      lastMove: s.lastMove,
      ...this.trend(s, score, direction),
    };
  }

  /** Score change over 15 min and 1 h from the fixture's history, and a fixed start of the current label. */
  private trend(s: SymState, score: number | null, direction: Direction | null): Pick<SymbolRow, 'scoreChange15m' | 'scoreChange1h' | 'directionSince'> {
    const at = (minutesAgo: number): number | null => s.history[s.history.length - minutesAgo]?.[1] ?? null;
    const then15 = at(15);
    const then60 = at(60);
    return {
      scoreChange15m: score === null || then15 === null ? null : round(score - then15),
      scoreChange1h: score === null || then60 === null ? null : round(score - then60),
      directionSince: direction === null ? null : this.startedAt - 12 * 60_000,
    };
  }

  /** Funding per 8 h with the interval and the next settlement (the next multiple of the interval from now). */
  funding(s: SymState): NonNullable<SymbolRow['funding']> {
    const ms = s.fundingIntervalMinutes * 60_000;
    return {
      rate8h: (s.fundingRate * 480) / s.fundingIntervalMinutes,
      intervalMinutes: s.fundingIntervalMinutes,
      nextFundingTime: Math.ceil((this.startedAt + 1) / ms) * ms,
    };
  }

  /** The funding fields of a symbol, for assertions. */
  fundingOf(symbol: string): { fundingRate: number; funding: NonNullable<SymbolRow['funding']> } {
    const s = this.syms.find((x) => x.symbol === symbol)!;
    return { fundingRate: s.fundingRate, funding: this.funding(s) };
  }

  rows(): SymbolRow[] {
    return this.syms.map((s) => this.row(s));
  }

  symbolsData(): SymbolsData {
    return { rows: this.rows(), pending: [...this.pending], dropped: 0 };
  }

  detail(symbol: string): SymbolDetail {
    const s = this.state(symbol);
    const r = this.row(s);
    const present = COMPONENT_NAMES.filter((c) => r.components[c] !== null);
    const wSum = present.reduce((a, c) => a + WEIGHTS[c], 0) || 1;
    const components = COMPONENT_NAMES.map((c) => {
      const score = r.components[c];
      const eff = score === null ? 0 : WEIGHTS[c] / wSum;
      const subs =
        c === 'technical'
          ? TIMEFRAMES.flatMap((tf) => [
              {
                name: 'rsi',
                label: 'RSI(14)',
                timeframe: tf,
                raw: round(30 + this.rnd() * 40),
                score: round(30 + this.rnd() * 40),
                weight: 0.15,
                contribution: null,
                reason: 'RSI 30→0, 70→100, linear between',
              },
              {
                // As the analyzer sends it: no label and, scored by its standard formula, no reason (both are the
                // contract's catalogue).
                name: 'macd',
                timeframe: tf,
                raw: round((this.rnd() - 0.5) * 20, 3),
                score: round(30 + this.rnd() * 40),
                weight: 0.1,
                contribution: null,
                reason: null,
              },
            ])
          : [
              {
                name: `${c} signal A`,
                timeframe: null,
                raw: round(this.rnd() * 3, 3),
                score: score === null ? null : round(score + 3),
                weight: 0.6,
                contribution: null,
                reason: score === null ? 'not enough data yet' : null,
              },
              {
                name: `${c} signal B`,
                timeframe: null,
                raw: null,
                score: null,
                weight: 0.4,
                contribution: null,
                reason: 'input missing: no long/short ratio yet',
              },
            ];
      return {
        name: c,
        score,
        weight: WEIGHTS[c],
        effectiveWeight: round(eff, 4),
        contribution: score === null ? null : round(eff * score, 2),
        reason: score === null ? 'inputs missing — not counted' : `${c} reading ${score >= 50 ? 'supportive' : 'weak'}`,
        subSignals: subs,
      };
    });
    return {
      symbol,
      score: r.score,
      direction: r.direction,
      strength: r.strength,
      confidence: { value: r.confidence, agreement: 0.7, completeness: present.length / 6, freshness: 0.95 },
      rationale: s.rationale ?? `${r.direction ?? 'No score'}: ${present.slice(0, 3).join(', ')} lead the score.`,
      components,
      topContributors: components
        .filter((c) => c.contribution !== null)
        .map((c) => ({ component: c.name, contribution: c.contribution as number }))
        .slice(0, 3),
      price: r.price,
      tickSize: s.tickSize,
      change24h: r.change24h,
      fundingRate: r.fundingRate,
      funding: r.funding,
      openInterest: r.openInterest,
      // Best bid and ask one tick apart, as on a liquid book.
      orderbook: {
        bestBid: s.price,
        bestAsk: onTick(s.price + s.tickSize, s.tickSize),
        mid: s.price + s.tickSize / 2,
        spreadBps: (s.tickSize / s.price) * 10_000,
        bidDepth: 1.2e6,
        askDepth: 0.9e6,
        levels: 50,
        synced: s.dataOk,
      },
      updatedAt: r.updatedAt,
      dataOk: r.dataOk,
      lastMove: r.lastMove,
      bandRecord:
        r.score === null
          ? null
          : { band: r.score >= 60 ? '60-70' : r.score <= 40 ? '30-40' : '40-60', horizon: '1h', samples: 412, hitRate: 0.57, meanReturn: 0.0012 },
    };
  }

  history(symbol: string): HistoryData {
    return { symbol, points: this.state(symbol).history };
  }

  heartbeat(now: number, publishIntervalMs: number): HeartbeatData {
    const rows = this.rows();
    return {
      analyzerId: 'fixture',
      generation: this.generation,
      startedAt: this.startedAt,
      lastCycleAt: now,
      lastCycleMs: 3,
      publishIntervalMs,
      symbolCount: rows.length + this.pending.length,
      scoredCount: rows.filter((r) => r.score !== null).length,
      tableComplete: this.pending.length === 0,
      warmup: { done: rows.length, total: rows.length + this.pending.length, complete: this.pending.length === 0 },
      intake: this.feedDown
        ? { state: 'reconnecting', connected: false, lastMessageAt: now - 30_000, reconnects: 4, detail: 'ECONNREFUSED' }
        : { state: 'connected', connected: true, lastMessageAt: now - 50, reconnects: 0, detail: null },
      shard: null,
    };
  }

  alerts(now: number): AlertsData {
    return {
      alerts: this.rows()
        .filter((r) => r.score !== null && r.direction !== 'Neutral')
        .slice(0, 4)
        .map((r, i) => ({
          id: `a-${r.symbol}-${i}`,
          symbol: r.symbol,
          rule: 'strong-band-entry',
          band: r.direction === 'Bullish' ? '60-70' : '30-40',
          previousBand: '40-60',
          score: r.score as number,
          direction: r.direction as Direction,
          confidence: r.confidence,
          agreeing: 4,
          price: r.price,
          tickSize: r.tickSize,
          at: now - i * 90_000,
          message: `${r.symbol} entered the ${r.direction} band with 4 of 6 components agreeing`,
          delivery: i === 0 ? 'delivered' : 'disabled',
          attempts: i === 0 ? 1 : 0,
        })),
    };
  }

  calibration(now: number): CalibrationData {
    const horizons = ['15m', '1h', '4h'];
    const bandNames = ['0-30', '30-40', '40-60', '60-70', '70-100'];
    // The top band: skill shown at 15m, none at 1h (its range includes 0), too few samples at 4h; Neutral band unlabelled.
    const cell = (i: number, j: number): CalibrationData['bands'][number]['byHorizon'][string] => {
      const samples = j === 2 ? 12 + i : 80 + i * 40 + j * 10;
      const directional = i === 2 ? 0 : samples - 10 > 0 ? samples - 10 : samples;
      const hitRate = directional === 0 ? null : 0.45 + i * 0.03 + j * 0.01;
      const baseRate = directional === 0 ? null : 0.52;
      const skill = hitRate === null || baseRate === null ? null : hitRate - baseRate;
      const few = j === 2 && directional > 0;
      const skill95 = skill === null || few ? null : { low: skill - (j === 0 ? 0.03 : 0.09), high: skill + (j === 0 ? 0.03 : 0.09) };
      const verdict = directional === 0 ? 'no_direction' : few ? 'too_few' : skill95!.low > 0 ? 'skill' : skill95!.high < 0 ? 'anti' : 'none';
      return {
        samples,
        directional,
        hits: hitRate === null ? 0 : Math.round(directional * hitRate),
        hitRate,
        baseRate,
        skill,
        skill95,
        blocks: few ? 3 : 20,
        verdict,
        meanReturn: (i - 2) * 0.001,
        medianReturn: (i - 2) * 0.0008,
      };
    };
    const bands = bandNames.map((band, i) => ({ band, byHorizon: Object.fromEntries(horizons.map((h, j) => [h, cell(i, j)])) }));
    return {
      horizons,
      bands,
      components: COMPONENT_NAMES.map((component) => ({ component, bands })),
      totalSamples: 2400,
      resolvedSamples: 2100,
      since: now - 86_400_000,
      method: { nonOverlapping: true, resamples: 400, minSamples: 30, minBlocks: 8, blockMinutes: { '15m': 120, '1h': 120, '4h': 240 } },
    };
  }
}

export const FIXTURE_TTL_S = 3600;

export function envelope<K extends Kind>(kind: K, fx: MarketFixture, now: number, data: Envelope<K>['data'], opts: PublishOptions = {}): Envelope<K> {
  return makeEnvelope(kind, { generation: fx.generation, producedAt: now, analyzerId: opts.analyzerId ?? 'fixture', source: opts.source ?? 'sim' }, data);
}

/** One publish cycle: (details and history), table and overview, then the heartbeat the web watches. */
export async function publishGeneration(cache: Cache, keys: Keys, fx: MarketFixture, opts: PublishOptions = {}, now = Date.now()): Promise<void> {
  fx.generation++;
  const set = (key: string, env: Envelope) => cache.set(key, encodeEnvelope(env), FIXTURE_TTL_S);
  if (opts.details) {
    await Promise.all(
      fx.symbols.flatMap((s) => [
        set(keys.symbol(s), envelope('symbol', fx, now, fx.detail(s), opts)),
        set(keys.history(s), envelope('history', fx, now, fx.history(s), opts)),
      ]),
    );
  }
  const data = fx.symbolsData();
  await set(keys.symbols(), envelope('symbols', fx, now, data, opts));
  await set(keys.overview(), envelope('overview', fx, now, computeOverview(data.rows), opts));
  await set(keys.heartbeat(), envelope('heartbeat', fx, now, fx.heartbeat(now, opts.publishIntervalMs ?? 1000), opts));
}

/** Alerts, calibration and a few minutes of time-travel snapshots. */
export async function publishExtras(cache: Cache, keys: Keys, fx: MarketFixture, opts: PublishOptions = {}, now = Date.now()): Promise<number[]> {
  const set = (key: string, env: Envelope) => cache.set(key, encodeEnvelope(env), FIXTURE_TTL_S);
  await set(keys.alerts(), envelope('alerts', fx, now, fx.alerts(now), opts));
  await set(keys.calibration(), envelope('calibration', fx, now, fx.calibration(now), opts));
  const minutes = [3, 2, 1].map((m) => Math.floor(now / 60_000) * 60_000 - m * 60_000);
  for (const minute of minutes) {
    const rows = fx.rows().map((r) => ({
      ...r,
      score: r.score === null ? null : clamp(round(r.score - 5)),
      direction: directionOf(r.score === null ? null : clamp(round(r.score - 5))),
    }));
    await set(keys.snapshot(minute), envelope('snapshot', fx, now, { minute, rows }, opts));
  }
  await set(keys.timeline(), envelope('timeline', fx, now, { minutes }, opts));
  return minutes;
}

/** Steps a fixture and publishes a generation every `everyMs`, never two at once, as a live analyzer would. */
export class FixturePublisher {
  private timer: NodeJS.Timeout | null = null;
  private inFlight = false;

  constructor(
    private readonly step: () => void,
    private readonly publish: () => Promise<unknown>,
    private readonly everyMs: number,
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      if (this.inFlight) return;
      this.inFlight = true;
      this.step();
      this.publish()
        .catch(() => undefined)
        .finally(() => {
          this.inFlight = false;
        });
    }, this.everyMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** A publish is still being written. */
  busy(): boolean {
    return this.inFlight;
  }
}
