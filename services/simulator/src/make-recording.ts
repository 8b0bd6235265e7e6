// Synthetic recording generator: runs the simulator's market model on a virtual clock and writes
// what the analyzer's recorder would have captured from a client of that market — the meta line,
// the REST answers warm-up asks for, then every WS frame of every topic of the top N symbols — in
// the recorder's JSONL format, so `MARKET_SOURCE=replay REPLAY_FILE=…` plays it back.
//
// CLI: node services/simulator/dist/make-recording.js --out recordings/sim-6h.jsonl --hours 6 --symbols 15 --seed 42
//
// Frames come from the simulator's own Publisher and REST handlers (same wire format, same `u`
// sequences, same candles). To keep hours of 15 symbols small, high-rate topics are published less
// often than the live simulator does (see THINNING_DEFAULTS and recordings/README.md): a publisher
// that runs less often sends the accumulated change (book and ticker streams diff against what they
// last sent), so the stream stays exact, only coarser in time.
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs as parseCliArgs } from 'node:util';
import {
  MAX_ARGS_PER_REQUEST,
  PING_INTERVAL_MS,
  REST_PATH,
  parseTopic,
  RECORDING_VERSION,
  topicsForSymbol,
  WARMUP,
  WS_PATH,
  type KlineInterval,
  type Topic,
} from '@confluence/bybit-wire';
import { errorMessage } from './errors';
import { FaultState } from './faults';
import type { CandleValues } from './history';
import { Market } from './market';
import { Publisher, type Subscriber } from './publisher';
import { handleMarketRequest, type RestResponse } from './rest';
import { MAX_STRENGTH, REGIMES, TREND_SIGMA_PER_HOUR, type Regime, type RegimeSetting } from './regimes';
import { hashString, Rng } from './rng';
import type { SimLiquidation, SimTrade, StepOutput, SymbolMarket } from './symbol-market';
import { snapshotFirst } from './ws-server';

/** The recording format version, shared with the analyzer's recorder and replay through the wire contract. */
export { RECORDING_VERSION };

/** Virtual publish cadence per topic family (ms), chosen so 6 h × 15 symbols stays under 150 MB (about 135 MB). */
export const THINNING_DEFAULTS = {
  /** orderbook.50 deltas (each carries every level changed since the previous one). */
  bookMs: 20_000,
  /** tickers deltas (every field changed since the previous one). */
  tickerMs: 20_000,
  /** publicTrade frames (each batches the trades of the window) and allLiquidation batches. */
  tradeMs: 3_000,
  /** Updates of a still-open kline; a close is always sent in the window it happens (at the boundary). */
  klineMs: 60_000,
  /** Trades of one window are merged into one print per taker side (sizes summed), see aggregateTrades. */
  aggregateTrades: 'side' as TradeAggregation,
} as const;

/** Virtual network latency added to every frame's send time (the recorder stores receive time). */
export const LATENCY_MS = 5;
/**
 * Trend drift of the planned segments, in hourly-volatility units per hour (a segment draws uniformly
 * from this range). Converted to the simulator's regime strength through TREND_SIGMA_PER_HOUR, so the
 * recording keeps its character if the model's default trend changes.
 */
export const DEFAULT_TREND_SIGMA_PER_HOUR: readonly [number, number] = [0.5, 1.5];
export const DEFAULT_TREND_STRENGTH: readonly [number, number] = [
  Math.round((DEFAULT_TREND_SIGMA_PER_HOUR[0] / TREND_SIGMA_PER_HOUR) * 1000) / 1000,
  Math.round((DEFAULT_TREND_SIGMA_PER_HOUR[1] / TREND_SIGMA_PER_HOUR) * 1000) / 1000,
];
/** Default start of the virtual clock: a Monday, 00:00 UTC (fixed, so a seed gives the same file). */
export const DEFAULT_START = Date.UTC(2025, 0, 6, 0, 0, 0);

/** What the analyzer's warm-up asks for (its page sizes come from the same wire contract); make-recording.test.ts checks it. */
export { WARMUP };

export interface MakeRecordingOptions {
  /** Output file (its directory is created). */
  readonly out: string;
  /** Virtual duration: hours + minutes (default 6 h when neither is given). */
  readonly hours?: number;
  readonly minutes?: number;
  /** The top N symbols by 24 h turnover are recorded (default 15). */
  readonly symbols?: number;
  /** Seed of the market and of the regime schedule (default 42). */
  readonly seed?: number;
  /** Virtual start time (ms), default DEFAULT_START. */
  readonly startTime?: number;
  /** Market step (ms), default 100 as in the live simulator. */
  readonly tickMs?: number;
  readonly bookMs?: number;
  readonly tickerMs?: number;
  readonly tradeMs?: number;
  readonly klineMs?: number;
  readonly aggregateTrades?: TradeAggregation;
  /** Mean length of one regime segment per symbol (default 75 min; each segment is 0.5–1.5× this). */
  readonly regimeMinutes?: number;
  /** Trend strength range [min, max] of planned segments (default DEFAULT_TREND_STRENGTH). */
  readonly trendStrength?: readonly [number, number];
  /** Called about every virtual minute (for a progress line). */
  readonly onProgress?: (p: { virtualMs: number; totalMs: number; lines: number; bytes: number }) => void;
}

export interface RecordingResult {
  readonly file: string;
  readonly lines: number;
  readonly bytes: number;
  /** Virtual time of the first line (meta `startedAt`) and of the last frame. */
  readonly startedAt: number;
  readonly endedAt: number;
  readonly symbols: readonly string[];
  /** Regime changes applied, in order (the meta line carries them too). */
  readonly regimeChanges: readonly RegimeChange[];
}

export interface RegimeChange {
  readonly at: number;
  readonly symbol: string;
  readonly regime: Regime;
  readonly strength: number;
}

/** Topics the analyzer subscribes per symbol, in its order (the wire contract's topicsForSymbol). */
export function topicsFor(symbol: string): string[] {
  return topicsForSymbol(symbol);
}

/** The warm-up REST requests (path with query, exactly as the analyzer's REST client builds them). */
export function warmupRequests(symbols: readonly string[]): string[] {
  const q = (p: string, params: Record<string, string | number>): string =>
    `${p}?${new URLSearchParams(Object.entries(params).map(([k, v]): [string, string] => [k, String(v)])).toString()}`;
  const out = [q(REST_PATH.instrumentsInfo, { category: 'linear', limit: 1000 }), q(REST_PATH.tickers, { category: 'linear' })];
  for (const symbol of symbols) {
    for (const interval of WARMUP.klineIntervals) out.push(q(REST_PATH.kline, { category: 'linear', symbol, interval, limit: WARMUP.klineLimit }));
    out.push(q(REST_PATH.openInterest, { category: 'linear', symbol, intervalTime: WARMUP.seriesInterval, limit: WARMUP.openInterestLimit }));
    out.push(q(REST_PATH.accountRatio, { category: 'linear', symbol, period: WARMUP.seriesInterval, limit: WARMUP.accountRatioLimit }));
    out.push(q(REST_PATH.fundingHistory, { category: 'linear', symbol, limit: WARMUP.fundingLimit }));
  }
  return out;
}

/** Buffered line writer with backpressure; counts what it wrote. */
class LineWriter {
  lines = 0;
  bytes = 0;
  private parts: string[] = [];
  private partBytes = 0;

  constructor(private readonly stream: fs.WriteStream) {}

  line(s: string): void {
    this.parts.push(s);
    this.partBytes += s.length;
    this.lines++;
    this.bytes += Buffer.byteLength(s);
  }

  ws(t: number, raw: string): void {
    this.line(`{"t":${t},"k":"ws","c":0,"m":${JSON.stringify(raw)}}\n`);
  }

  rest(t: number, p: string, r: RestResponse): void {
    this.line(`{"t":${t},"k":"rest","p":${JSON.stringify(p)},"s":${r.status},"b":${JSON.stringify(r.body)}}\n`);
  }

  /** Writes out when enough is buffered; waits for the stream to drain. */
  async maybeFlush(force = false): Promise<void> {
    if (!force && this.partBytes < 1 << 20) return;
    if (this.parts.length === 0) return;
    const chunk = this.parts.join('');
    this.parts = [];
    this.partBytes = 0;
    if (!this.stream.write(chunk)) await new Promise<void>((resolve) => this.stream.once('drain', resolve));
  }

  async close(): Promise<void> {
    await this.maybeFlush(true);
    await new Promise<void>((resolve, reject) => {
      this.stream.once('error', reject);
      this.stream.end(() => resolve());
    });
  }
}

/** Accumulates a symbol's step outputs between two publishes of a topic group. */
class Pending {
  trades: SimTrade[] = [];
  liquidations: SimLiquidation[] = [];
  closed: Map<KlineInterval, readonly CandleValues[]> | undefined;

  constructor(readonly market: SymbolMarket) {}

  add(o: StepOutput): void {
    for (const t of o.trades) this.trades.push(t);
    for (const l of o.liquidations) this.liquidations.push(l);
    if (o.closed !== undefined) {
      this.closed ??= new Map();
      for (const [interval, list] of o.closed) this.closed.set(interval, [...(this.closed.get(interval) ?? []), ...list]);
    }
  }

  take(aggregate: TradeAggregation): StepOutput {
    const out: StepOutput = { market: this.market, trades: aggregateTrades(this.trades, aggregate), liquidations: this.liquidations, closed: this.closed };
    this.trades = [];
    this.liquidations = [];
    this.closed = undefined;
    return out;
  }
}

export type TradeAggregation = 'none' | 'price' | 'side';

/**
 * Merges the trades of one publish window into fewer prints: `price` merges trades that share taker
 * side and price, `side` merges all trades of one taker side (at that side's last price). A print has
 * the summed size and its last trade's time, id and sequence, so traded volume, the taker buy/sell
 * split (CVD) and the last price are unchanged; only the count and size distribution of prints change.
 */
export function aggregateTrades(trades: readonly SimTrade[], mode: TradeAggregation): SimTrade[] {
  if (mode === 'none' || trades.length <= 1) return [...trades];
  const groups = new Map<string, { last: SimTrade; units: number; block: boolean }>();
  for (const t of trades) {
    const key = mode === 'side' ? t.side : `${t.side}:${t.priceTicks}`;
    const g = groups.get(key);
    if (g === undefined) groups.set(key, { last: t, units: t.units, block: t.blockTrade });
    else {
      g.last = t;
      g.units += t.units;
      g.block ||= t.blockTrade;
    }
  }
  // In order of each print's last trade, so the newest price comes last, as on the tape.
  return [...groups.values()].sort((a, b) => a.last.seq - b.last.seq).map((g) => ({ ...g.last, units: g.units, blockTrade: g.block }));
}

/** One publisher per cadence: it owns its topics' streams, and runs every `everyMs` of virtual time. */
interface Group {
  readonly name: string;
  readonly everyMs: number;
  readonly publisher: Publisher;
  readonly pending: Map<string, Pending>;
  /** Whether step outputs (trades, liquidations, closed candles) must be accumulated for this group. */
  readonly needsOutputs: boolean;
}

/**
 * Deterministic regime schedule: each symbol moves through up / down / range segments of its own,
 * staggered so the symbols never switch together. Planned up front (it depends only on the seed and
 * the initial regimes), so the meta line can carry it.
 */
export function planRegimes(
  seed: number,
  initial: ReadonlyMap<string, RegimeSetting>,
  start: number,
  end: number,
  meanMs: number,
  strength: readonly [number, number] = DEFAULT_TREND_STRENGTH,
): RegimeChange[] {
  const rng = new Rng((seed ^ hashString('make-recording:regimes')) >>> 0);
  const changes: RegimeChange[] = [];
  for (const [symbol, setting] of initial) {
    let current = setting;
    // The seed's initial assignment holds for a first, shorter segment.
    for (let at = start + meanMs * (0.25 + 0.75 * rng.float()); at < end; at += meanMs * (0.5 + rng.float())) {
      // A new segment is a different regime: a reversal or a pause out of a trend, either trend out of
      // a range. Trend strengths are drawn uniformly from `strength`.
      const others = REGIMES.filter((r) => r !== current.regime);
      const regime = others[rng.int(others.length)];
      const s = regime === 'range' ? 1 : Math.round((strength[0] + (strength[1] - strength[0]) * rng.float()) * 1000) / 1000;
      current = { regime, strength: s };
      changes.push({ at: Math.round(at), symbol, regime, strength: s });
    }
  }
  return changes.sort((a, b) => a.at - b.at || (a.symbol < b.symbol ? -1 : 1));
}

function positiveNumber(name: string, v: number): number {
  if (!(Number.isFinite(v) && v > 0)) throw new RangeError(`${name} must be a positive number, got ${v}`);
  return v;
}

/** Generates the recording. Deterministic: the same options give the same bytes. */
export async function makeRecording(opts: MakeRecordingOptions): Promise<RecordingResult> {
  const hours = opts.hours ?? (opts.minutes === undefined ? 6 : 0);
  const durationMs = Math.round((hours * 60 + (opts.minutes ?? 0)) * 60_000);
  positiveNumber('duration (hours + minutes)', durationMs);
  const n = opts.symbols ?? 15;
  if (!Number.isInteger(n) || n < 1 || n > 1000) throw new RangeError(`symbols must be an integer in 1..1000, got ${n}`);
  const seed = opts.seed ?? 42;
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new RangeError(`seed must be an integer in 0..${0xffffffff}, got ${seed}`);
  const start = opts.startTime ?? DEFAULT_START;
  const tickMs = positiveNumber('tickMs', opts.tickMs ?? 100);
  const every = {
    book: positiveNumber('bookMs', opts.bookMs ?? THINNING_DEFAULTS.bookMs),
    ticker: positiveNumber('tickerMs', opts.tickerMs ?? THINNING_DEFAULTS.tickerMs),
    trade: positiveNumber('tradeMs', opts.tradeMs ?? THINNING_DEFAULTS.tradeMs),
    kline: positiveNumber('klineMs', opts.klineMs ?? THINNING_DEFAULTS.klineMs),
  };
  for (const [k, v] of Object.entries(every))
    if (v % tickMs !== 0 && k !== 'kline') throw new RangeError(`${k}Ms (${v}) must be a multiple of tickMs (${tickMs})`);
  const aggregate = opts.aggregateTrades ?? THINNING_DEFAULTS.aggregateTrades;
  const regimeMs = positiveNumber('regimeMinutes', opts.regimeMinutes ?? 75) * 60_000;
  const strength = opts.trendStrength ?? DEFAULT_TREND_STRENGTH;
  if (!(strength[0] > 0 && strength[1] >= strength[0] && strength[1] <= MAX_STRENGTH))
    throw new RangeError(`trend strength must be 0 < min ≤ max ≤ ${MAX_STRENGTH}, got ${strength.join('-')}`);

  const market = new Market({ seed, symbols: n, regimes: new Map(), tickMs, speed: 1, startTime: start, maxSymbolsPerStep: 100 });
  const chosen = [...market.markets].sort((a, b) => b.turnover24h() - a.turnover24h()).slice(0, n);
  const symbols = chosen.map((m) => m.symbol);
  const faults = new FaultState();

  const file = path.resolve(opts.out);
  await fs.promises.mkdir(path.dirname(file), { recursive: true });
  const stream = fs.createWriteStream(file, { flags: 'w' });
  await new Promise<void>((resolve, reject) => {
    stream.once('open', () => resolve());
    stream.once('error', reject);
  });
  const w = new LineWriter(stream);
  const regimeChanges = planRegimes(seed, new Map(chosen.map((m) => [m.symbol, m.setting])), start, start + durationMs, regimeMs, strength);
  let nextChange = 0;

  try {
    w.line(
      `${JSON.stringify({
        k: 'meta',
        v: RECORDING_VERSION,
        startedAt: start,
        source: 'sim',
        wsUrl: `sim://make-recording${WS_PATH}`,
        restUrl: 'sim://make-recording',
        generator: {
          tool: 'services/simulator/src/make-recording.ts',
          seed,
          symbols,
          durationMs,
          tickMs,
          thinning: { bookMs: every.book, tickerMs: every.ticker, tradeMs: every.trade, klineMs: every.kline, aggregateTrades: aggregate },
          latencyMs: LATENCY_MS,
          trendStrength: strength,
          initialRegimes: Object.fromEntries(chosen.map((m) => [m.symbol, m.setting])),
          regimeChanges,
        },
      })}\n`,
    );

    // Warm-up: answered by the simulator's REST handlers at the start time.
    for (const p of warmupRequests(symbols)) {
      const url = new URL(p, 'http://sim.local');
      w.rest(start, p, handleMarketRequest(url.pathname, url.searchParams, market, start));
    }

    // Subscriptions, as one connection of the analyzer would make them: 10 args per request.
    let now = start;
    let sent: string[] = [];
    const sub: Subscriber = { id: 'recording', send: (frame) => void sent.push(frame) };
    const groups: Group[] = [];
    const group = (name: string, everyMs: number, klinePushMs: number, needsOutputs: boolean): Group => {
      const g: Group = { name, everyMs, publisher: new Publisher(market, faults, { klinePushMs, liquidationPushMs: 0 }), pending: new Map(), needsOutputs };
      for (const m of chosen) g.pending.set(m.symbol, new Pending(m));
      groups.push(g);
      return g;
    };
    const tradesGroup = group('trades', every.trade, every.kline, true);
    const bookGroup = group('book', every.book, every.kline, false);
    const tickerGroup = group('tickers', every.ticker, every.kline, false);
    const groupOf = (t: Topic): Group => (t.kind === 'orderbook' ? bookGroup : t.kind === 'tickers' ? tickerGroup : tradesGroup);
    const connId = new Rng((seed ^ hashString('make-recording:conn')) >>> 0).uuid();
    const answer = (success: boolean, retMsg: string, reqId: string, op: string): string =>
      JSON.stringify({ success, ret_msg: retMsg, conn_id: connId, req_id: reqId, op });

    const allTopics = symbols.flatMap(topicsFor);
    let reqNo = 0;
    for (let i = 0; i < allTopics.length; i += MAX_ARGS_PER_REQUEST) {
      const before: string[] = [];
      const after: string[] = [];
      for (const name of allTopics.slice(i, i + MAX_ARGS_PER_REQUEST)) {
        const parsed = parseTopic(name, (s) => market.has(s));
        if (!parsed.ok) throw new Error(`cannot subscribe ${name}`);
        const frames = groupOf(parsed.topic).publisher.subscribe(sub, parsed.topic, now);
        (snapshotFirst(parsed.topic.symbol) ? before : after).push(...frames);
      }
      const t = now + LATENCY_MS;
      for (const f of before) w.ws(t, f);
      w.ws(t, answer(true, '', String(++reqNo), 'subscribe'));
      for (const f of after) w.ws(t, f);
    }

    // The market runs; each group publishes what accumulated since its last turn.
    const end = start + durationMs;
    let nextPing = start + PING_INTERVAL_MS;
    let nextProgress = start + 60_000;
    let lastT = start + LATENCY_MS;
    while (now < end) {
      now += tickMs;
      while (nextChange < regimeChanges.length && regimeChanges[nextChange].at <= now) {
        const c = regimeChanges[nextChange++];
        // planRegimes plans only the chosen symbols.
        market.get(c.symbol)?.setRegime({ regime: c.regime, strength: c.strength });
      }
      const outputs = market.step(now);
      for (const g of groups) {
        if (g.needsOutputs) for (const o of outputs) g.pending.get(o.market.symbol)?.add(o);
      }
      for (const g of groups) {
        if ((now - start) % g.everyMs !== 0 && now < end) continue;
        const outs: StepOutput[] = [];
        for (const p of g.pending.values())
          outs.push(g.needsOutputs ? p.take(aggregate) : { market: p.market, trades: [], liquidations: [], closed: undefined });
        g.publisher.publish(outs, now);
      }
      if (now >= nextPing) {
        nextPing += PING_INTERVAL_MS;
        sent.push(answer(true, 'pong', String(++reqNo), 'ping'));
      }
      if (sent.length > 0) {
        lastT = now + LATENCY_MS;
        for (const f of sent) w.ws(lastT, f);
        sent = [];
      }
      if (now >= nextProgress) {
        nextProgress += 60_000;
        opts.onProgress?.({ virtualMs: now - start, totalMs: durationMs, lines: w.lines, bytes: w.bytes });
        await w.maybeFlush();
      }
    }
    await w.close();
    return { file, lines: w.lines, bytes: w.bytes, startedAt: start, endedAt: lastT, symbols, regimeChanges };
  } catch (err) {
    stream.destroy();
    throw err;
  }
}

// --- CLI ---------------------------------------------------------------------------------------

const USAGE = `usage: node services/simulator/dist/make-recording.js --out FILE [--hours H] [--minutes M] [--symbols N] [--seed S]
       [--start ISO|ms] [--tick-ms 100] [--book-ms ${THINNING_DEFAULTS.bookMs}] [--ticker-ms ${THINNING_DEFAULTS.tickerMs}]
       [--trade-ms ${THINNING_DEFAULTS.tradeMs}] [--kline-ms ${THINNING_DEFAULTS.klineMs}] [--trades side|price|none] [--strength MIN-MAX] [--regime-minutes 75] [--quiet]`;

/** node:util parseArgs's errors, in this CLI's words. */
function cliProblem(err: unknown): string {
  const code = (err as { code?: string }).code;
  const option = /'(-[^' ]+)/.exec(errorMessage(err))?.[1];
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && option) return `unknown option ${option}`;
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') return `unexpected argument "${/'([^']*)'/.exec(errorMessage(err))?.[1] ?? ''}"`;
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && option)
    return /does not take/.test(errorMessage(err)) ? `${option} takes no value` : `${option} needs a value`;
  return errorMessage(err);
}

const CLI_OPTIONS = {
  out: { type: 'string' },
  hours: { type: 'string' },
  minutes: { type: 'string' },
  symbols: { type: 'string' },
  seed: { type: 'string' },
  start: { type: 'string' },
  'tick-ms': { type: 'string' },
  'book-ms': { type: 'string' },
  'ticker-ms': { type: 'string' },
  'trade-ms': { type: 'string' },
  'kline-ms': { type: 'string' },
  'regime-minutes': { type: 'string' },
  trades: { type: 'string' },
  strength: { type: 'string' },
  quiet: { type: 'boolean' },
  help: { type: 'boolean' },
} as const;

export function parseArgs(argv: readonly string[]): MakeRecordingOptions & { quiet: boolean } {
  let parsed: { [K in keyof typeof CLI_OPTIONS]?: (typeof CLI_OPTIONS)[K]['type'] extends 'boolean' ? boolean : string };
  try {
    parsed = parseCliArgs({ args: [...argv], options: CLI_OPTIONS, strict: true, allowPositionals: false }).values;
  } catch (err) {
    throw new Error(`${cliProblem(err)}\n${USAGE}`);
  }
  if (parsed.help) throw new Error(USAGE);
  const values = new Map(Object.entries(parsed).filter((e): e is [string, string] => typeof e[1] === 'string'));
  const num = (k: string): number | undefined => {
    const v = values.get(k);
    if (v === undefined) return undefined;
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n)) throw new Error(`--${k} must be a number, got "${v}"`);
    return n;
  };
  const out = values.get('out');
  if (!out) throw new Error(`--out is required\n${USAGE}`);
  const startText = values.get('start');
  let startTime: number | undefined;
  if (startText !== undefined) {
    startTime = /^\d+$/.test(startText) ? Number(startText) : Date.parse(startText);
    if (!Number.isFinite(startTime)) throw new Error(`--start must be an ISO date or ms, got "${startText}"`);
  }
  const trades = values.get('trades') as TradeAggregation | undefined;
  if (trades !== undefined && !['none', 'price', 'side'].includes(trades)) throw new Error(`--trades must be side, price or none, got "${trades}"`);
  let trendStrength: [number, number] | undefined;
  const strengthText = values.get('strength');
  if (strengthText !== undefined) {
    const m = /^(\d+(?:\.\d+)?)(?:-(\d+(?:\.\d+)?))?$/.exec(strengthText.trim());
    if (!m) throw new Error(`--strength must be MIN-MAX (e.g. 0.5-2) or one number, got "${strengthText}"`);
    trendStrength = [Number(m[1]), Number(m[2] ?? m[1])];
  }
  return {
    out,
    hours: num('hours'),
    trendStrength,
    minutes: num('minutes'),
    symbols: num('symbols'),
    seed: num('seed'),
    startTime,
    tickMs: num('tick-ms'),
    bookMs: num('book-ms'),
    tickerMs: num('ticker-ms'),
    tradeMs: num('trade-ms'),
    klineMs: num('kline-ms'),
    regimeMinutes: num('regime-minutes'),
    aggregateTrades: trades,
    quiet: parsed.quiet === true,
  };
}

async function cli(): Promise<void> {
  let options: ReturnType<typeof parseArgs>;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${errorMessage(err)}\n`);
    process.exit(2);
  }
  const wall0 = Date.now();
  let lastReport = 0;
  const result = await makeRecording({
    ...options,
    onProgress: options.quiet
      ? undefined
      : (p) => {
          if (Date.now() - lastReport < 2_000) return;
          lastReport = Date.now();
          process.stderr.write(
            `make-recording: ${(p.virtualMs / 3_600_000).toFixed(2)} / ${(p.totalMs / 3_600_000).toFixed(2)} h, ${p.lines} lines, ${(p.bytes / 1e6).toFixed(1)} MB\n`,
          );
        },
  });
  const { regimeChanges, ...summary } = result;
  process.stdout.write(`${JSON.stringify({ event: 'recorded', ...summary, regimeChanges: regimeChanges.length, wallMs: Date.now() - wall0 })}\n`);
}

if (require.main === module) {
  cli().catch((err: unknown) => {
    process.stderr.write(`make-recording: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  });
}
