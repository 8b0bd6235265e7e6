import {
  COMPONENT_NAMES,
  type CalibrationCell,
  type CalibrationData,
  type CalibrationVerdict,
  type ComponentName,
  type SymbolDetail,
  type SymbolRow,
} from '@confluence/contracts';
import type { Logger } from '@confluence/logger';
import { mulberry32 } from '@confluence/confluence';
import { SCORE_BANDS, bandIndex, bandOf, componentDirection, directionSign } from './bands';
import { type SignalsDb, type SqlStatement, openSignalsDb } from './db';

export const HORIZONS = [
  { name: '15m', ms: 15 * 60_000, column: 'r15' },
  { name: '1h', ms: 60 * 60_000, column: 'r60' },
  { name: '4h', ms: 4 * 60 * 60_000, column: 'r240' },
] as const;
export type HorizonName = (typeof HORIZONS)[number]['name'];

/** A horizon resolves at the first sample at or after t + h, if that sample is no later than t + h + this. */
export const RESOLVE_TOLERANCE_MS = 2 * 60_000;
/** A row whose market data is older than this at the sampled minute gives no price (and is no sample). */
export const MAX_PRICE_AGE_MS = 60_000;
export const RETENTION_MS = 30 * 24 * 60 * 60_000;
/** Upper bound on stored rows whatever their age (about 30 days of 23 symbols); the oldest go first. */
export const MAX_ROWS = 1_000_000;
const PRUNE_EVERY_MS = 60 * 60_000;
/** Minutes are written in one transaction per this much wall time (or per MAX_BUFFERED minutes): a max-speed replay
 *  crosses hundreds of market minutes a second, and one commit per minute would be the bottleneck. */
export const FLUSH_INTERVAL_MS = 1_000;
const MAX_BUFFERED = 240;

/**
 * How the scoreboard avoids fooling itself:
 * - Non-overlapping samples: at horizon h only the samples on the h grid (minute % h = 0, UTC) count, so one symbol's
 *   forward windows never overlap (a sample a minute apart shares 14/15 of a 15-minute window with the one before).
 * - Base rate: a Bullish hit is an up move, so each labelled sample is compared with how often its symbol's windows
 *   went up over the kept period (for Bearish, down): skill = hit rate − base rate. With drift and no skill it is ≈ 0.
 * - A block bootstrap over time: time blocks (all symbols together, so their correlation stays inside a block) are
 *   resampled with replacement (400 times); the 2.5 and 97.5 % percentiles of the resampled skill are its 95 % interval.
 * - A cell is flagged only when that interval excludes 0, and only with enough samples and blocks.
 */
export const BOOTSTRAP_RESAMPLES = 400;
/** Fewer directional samples than this, or samples in fewer time blocks than MIN_BLOCKS, is "too few to say". */
export const MIN_DIRECTIONAL_SAMPLES = 30;
export const MIN_BLOCKS = 8;
/**
 * Bootstrap block length at horizon h: max(h, 2 h). Longer than the horizon so neighbouring windows of one regime
 * mostly share a block; 2 h at least, which also bounds the work (a full 30-day, 23-symbol store computes its
 * scoreboard in 0.1–0.15 s on a shared 2-core VM).
 */
export function blockMsOf(horizonMs: number): number {
  return Math.max(horizonMs, 2 * 60 * 60_000);
}

function quantile(sorted: Float64Array, q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

function median(xs: Float64Array): number | null {
  if (xs.length === 0) return null;
  xs.sort();
  const m = xs.length >> 1;
  return xs.length % 2 ? xs[m] : (xs[m - 1] + xs[m]) / 2;
}

/** Ids of what is scored: 0 = the overall score, 1..6 = the components in COMPONENT_NAMES order. */
const KIND_COUNT = 1 + COMPONENT_NAMES.length;
const COMPONENT_COLUMNS = COMPONENT_NAMES.map((c) => `c_${c}`);

/** One resolved, grid-aligned sample at one horizon: the values scored (overall + components), the label, the return. */
interface Resolved {
  readonly ts: number;
  /** Index of the symbol in CalibrationStore.symbolIds. */
  readonly symbol: number;
  /** Overall score then the six components in COMPONENT_NAMES order (null when unavailable). */
  readonly values: readonly (number | null)[];
  /** Direction sign of the published label (−1, 0, 1). */
  readonly dir: number;
  readonly r: number;
}

/** The columns of a sample the aggregates need, as returned raw by SQLite: ts, scored, score, dir, 6 components, r15, r60, r240, symbol. */
type SampleTuple = [number, number, number | null, number | null, ...Array<number | string | null>];
const SAMPLE_COLUMNS = ['ts', 'scored', 'score', 'dir', ...COMPONENT_COLUMNS, ...HORIZONS.map((h) => h.column), 'symbol'].join(', ');
const R_OFFSET = 4 + COMPONENT_NAMES.length;
const SYMBOL_OFFSET = R_OFFSET + HORIZONS.length;
const returnsOf = (t: SampleTuple): Array<number | null> => t.slice(R_OFFSET, SYMBOL_OFFSET) as Array<number | null>;

export interface CalibrationOptions {
  /** Either an open signals database (shared with alerts and the timeline) or a directory to open one in. */
  db?: SignalsDb;
  dataDir?: string;
  logger: Logger;
  /** Wall clock, only for write batching and throttling summaryIfChanged. */
  now?: () => number;
  retentionMs?: number;
  maxRows?: number;
  toleranceMs?: number;
  maxPriceAgeMs?: number;
  /** summaryIfChanged returns at most once per this many wall-clock ms. */
  minSummaryIntervalMs?: number;
  /** Buffered minutes are written at most this long after they were sampled (every read writes them first). */
  flushIntervalMs?: number;
}

/**
 * The calibration scoreboard. Once a market minute the analyzer samples every row (score, direction, confidence,
 * components, price); when a horizon has passed, the sample's forward return is the price of the first sample of
 * the same symbol at or after t + h (within the tolerance, else it stays unresolved) over its price − 1.
 *
 * Samples live in SQLite (they survive restarts and are the truth); the per-band aggregates live in memory,
 * rebuilt from the samples at open and updated as samples resolve or expire, so a summary costs microseconds
 * whatever the table size and never blocks the analyzer's cycle on a scan.
 */
export class CalibrationStore {
  private readonly db: SignalsDb;
  private readonly ownsDb: boolean;
  private readonly logger: Logger;
  private readonly now: () => number;
  private readonly retentionMs: number;
  private readonly maxRows: number;
  private readonly toleranceMs: number;
  private readonly maxPriceAgeMs: number;
  private readonly minSummaryIntervalMs: number;
  /** Per horizon, the resolved samples on that horizon's grid (the only ones the scoreboard counts). */
  private resolved: Resolved[][];
  private readonly symbolIds = new Map<string, number>();
  /** The last computed scoreboard; bandRecord reuses it for up to minSummaryIntervalMs of wall time. */
  private computedAt = -Infinity;
  private totalSamples = 0;
  private resolvedSamples = 0;
  private rows = 0;
  private since: number | null = null;
  private latest = 0;
  private lastPruneAt = 0;
  private versionNo = 0;
  private cached: { version: number; data: CalibrationData } | null = null;
  private lastReturned = { version: -1, at: -Infinity };
  private readonly stmt: {
    insert: SqlStatement;
    resolve: SqlStatement[];
    prune: SqlStatement;
    since: SqlStatement;
    nthOldest: SqlStatement;
  };
  private readonly flushIntervalMs: number;
  private buffer: Array<{ minuteTs: number; params: unknown[][] }> = [];
  private lastFlushAt = -Infinity;
  private readonly writeTx: (
    batch: ReadonlyArray<{ minuteTs: number; params: unknown[][] }>,
  ) => Array<{ minuteTs: number; inserted: number; scored: number; resolved: Array<[number, SampleTuple]> }>;

  constructor(opts: CalibrationOptions) {
    if (opts.db) this.db = opts.db;
    else if (opts.dataDir !== undefined) this.db = openSignalsDb(opts.dataDir);
    else throw new Error('CalibrationStore needs db or dataDir');
    this.ownsDb = !opts.db;
    this.logger = opts.logger;
    this.now = opts.now ?? Date.now;
    this.retentionMs = opts.retentionMs ?? RETENTION_MS;
    this.maxRows = opts.maxRows ?? MAX_ROWS;
    this.toleranceMs = opts.toleranceMs ?? RESOLVE_TOLERANCE_MS;
    this.maxPriceAgeMs = opts.maxPriceAgeMs ?? MAX_PRICE_AGE_MS;
    this.minSummaryIntervalMs = opts.minSummaryIntervalMs ?? 5_000;
    this.flushIntervalMs = opts.flushIntervalMs ?? FLUSH_INTERVAL_MS;
    this.resolved = HORIZONS.map(() => []);

    const db = this.db;
    this.stmt = {
      insert: db.prepare(
        `INSERT OR IGNORE INTO cal_samples (symbol, ts, price, scored, score, dir, confidence, ${COMPONENT_COLUMNS.join(', ')})
         VALUES (?, ?, ?, ?, ?, ?, ?, ${COMPONENT_COLUMNS.map(() => '?').join(', ')})`,
      ),
      // One statement per horizon resolves every symbol sampled this minute: the samples in [now−h−tol, now−h]
      // still unresolved have no earlier sample at or after t+h, so this minute's is the first.
      resolve: HORIZONS.map((h) =>
        db
          .prepare(
            `UPDATE cal_samples AS s SET ${h.column} = n.price / s.price - 1
           FROM cal_samples AS n
           WHERE n.ts = @now AND n.symbol = s.symbol
             AND s.ts BETWEEN @lo AND @hi AND s.scored = 1 AND s.${h.column} IS NULL
           RETURNING ${SAMPLE_COLUMNS}`,
          )
          .raw(true),
      ),
      prune: db.prepare(`DELETE FROM cal_samples WHERE ts < ? RETURNING ${SAMPLE_COLUMNS}`).raw(true),
      since: db.prepare('SELECT MIN(ts) FROM cal_samples WHERE scored = 1').pluck(true),
      nthOldest: db.prepare('SELECT ts FROM cal_samples ORDER BY ts LIMIT 1 OFFSET ?').pluck(true),
    };

    this.writeTx = db.transaction((batch: ReadonlyArray<{ minuteTs: number; params: unknown[][] }>) =>
      batch.map(({ minuteTs, params }) => {
        let inserted = 0;
        let scored = 0;
        for (const p of params) {
          if (this.stmt.insert.run(...p).changes > 0) {
            inserted++;
            if (p[3] === 1) scored++;
          }
        }
        const resolved: Array<[number, SampleTuple]> = [];
        HORIZONS.forEach((h, hi) => {
          const found = this.stmt.resolve[hi].all({ now: minuteTs, lo: minuteTs - h.ms - this.toleranceMs, hi: minuteTs - h.ms }) as SampleTuple[];
          for (const t of found) resolved.push([hi, t]);
        });
        return { minuteTs, inserted, scored, resolved };
      }),
    );

    this.rebuild();
  }

  /** Reads every stored sample once to rebuild the in-memory aggregates (about a second per million rows). */
  private rebuild(): void {
    const started = Date.now();
    this.rows = this.db.prepare('SELECT COUNT(*) FROM cal_samples').pluck(true).get() as number;
    this.latest = (this.db.prepare('SELECT MAX(ts) FROM cal_samples').pluck(true).get() as number | null) ?? 0;
    this.since = (this.stmt.since.get() as number | null) ?? null;
    this.totalSamples = this.db.prepare('SELECT COUNT(*) FROM cal_samples WHERE scored = 1').pluck(true).get() as number;
    const resolvedWhere = HORIZONS.map((h) => `${h.column} IS NOT NULL`).join(' OR ');
    const iter = this.db
      .prepare(`SELECT ${SAMPLE_COLUMNS} FROM cal_samples WHERE scored = 1 AND (${resolvedWhere})`)
      .raw(true)
      .iterate() as IterableIterator<SampleTuple>;
    for (const t of iter) {
      this.resolvedSamples++;
      HORIZONS.forEach((_, hi) => {
        const r = t[R_OFFSET + hi] as number | null;
        if (r !== null) this.apply(t, hi, r);
      });
    }
    this.lastPruneAt = this.latest;
    this.versionNo++;
    if (this.rows > 0)
      this.logger.info('calibration samples loaded', { rows: this.rows, samples: this.totalSamples, resolved: this.resolvedSamples, ms: Date.now() - started });
  }

  /** Keeps a resolved return when the sample lies on the horizon's grid (non-overlapping windows per symbol). */
  private apply(t: SampleTuple, horizon: number, r: number): void {
    const ts = t[0];
    if (ts % HORIZONS[horizon].ms !== 0) return;
    const name = t[SYMBOL_OFFSET] as string;
    let symbol = this.symbolIds.get(name);
    if (symbol === undefined) {
      symbol = this.symbolIds.size;
      this.symbolIds.set(name, symbol);
    }
    this.resolved[horizon].push({ ts, symbol, values: [t[2], ...(t.slice(4, R_OFFSET) as (number | null)[])], dir: t[3] ?? 0, r });
  }

  /**
   * Records one market minute. Writes are batched (see FLUSH_INTERVAL_MS) and every read writes pending minutes
   * first. Idempotent per (symbol, minute): a replayed minute is not counted twice.
   */
  sample(minuteTs: number, rows: readonly SymbolRow[]): void {
    const params: unknown[][] = [];
    for (const r of rows) {
      const price = r.price;
      if (price === null || !Number.isFinite(price) || price <= 0) continue;
      if (minuteTs - r.updatedAt > this.maxPriceAgeMs) continue;
      const isScored = r.dataOk && r.score !== null;
      const c = r.components;
      params.push([
        r.symbol,
        minuteTs,
        price,
        isScored ? 1 : 0,
        isScored ? r.score : null,
        isScored ? directionSign(r.direction) : null,
        isScored ? r.confidence : null,
        ...COMPONENT_NAMES.map((name) => (isScored ? c[name] : null)),
      ]);
    }
    this.buffer.push({ minuteTs, params });
    if (this.buffer.length >= MAX_BUFFERED || this.now() - this.lastFlushAt >= this.flushIntervalMs) this.flush();
  }

  /** Writes buffered minutes in one transaction and applies what they resolved. */
  flush(): void {
    if (!this.buffer.length) return;
    const batch = this.buffer;
    this.buffer = [];
    this.lastFlushAt = this.now();
    for (const { minuteTs, inserted, scored, resolved } of this.writeTx(batch)) {
      this.rows += inserted;
      this.totalSamples += scored;
      if (scored && (this.since === null || minuteTs < this.since)) this.since = minuteTs;
      for (const [hi, t] of resolved) {
        const rs = returnsOf(t);
        if (rs.every((r, i) => i === hi || r === null)) this.resolvedSamples++;
        const r = rs[hi];
        if (r !== null) this.apply(t, hi, r);
      }
      if (inserted || resolved.length) this.versionNo++;
      if (minuteTs > this.latest) this.latest = minuteTs;
    }
    if (this.latest - this.lastPruneAt >= PRUNE_EVERY_MS || this.rows > this.maxRows) this.prune();
  }

  /** Drops samples older than the retention (by market time) and, beyond maxRows, the oldest down to 90 % of it. */
  private prune(): void {
    this.lastPruneAt = this.latest;
    let cutoff = this.latest - this.retentionMs;
    if (this.rows > this.maxRows) {
      const nth = this.stmt.nthOldest.get(this.rows - Math.floor(this.maxRows * 0.9)) as number | undefined;
      if (nth !== undefined) cutoff = Math.max(cutoff, nth);
    }
    const removed = this.db.transaction(() => this.stmt.prune.all(cutoff) as SampleTuple[])();
    if (!removed.length) return;
    this.rows -= removed.length;
    for (const t of removed) {
      if (t[1] !== 1) continue;
      this.totalSamples--;
      const rs = returnsOf(t);
      if (rs.some((r) => r !== null)) this.resolvedSamples--;
    }
    // The DELETE removed every sample before the cutoff: the resolved lists drop the same.
    this.resolved = this.resolved.map((list) => list.filter((x) => x.ts >= cutoff));
    this.since = (this.stmt.since.get() as number | null) ?? null;
    this.versionNo++;
    this.logger.debug('calibration samples pruned', { removed: removed.length, rows: this.rows });
  }

  /** Changes whenever the summary would. */
  get version(): number {
    this.flush();
    return this.versionNo;
  }

  stats(): { rows: number; samples: number; resolved: number } {
    this.flush();
    return { rows: this.rows, samples: this.totalSamples, resolved: this.resolvedSamples };
  }

  /**
   * One horizon's cells for every kind (overall, components) and band. Each symbol's windows at this horizon give its
   * up and down shares (every band, the whole kept period); a directional sample of a cell is a hit when its return
   * has the direction's sign, and its base is its symbol's up share (Bullish) or down share (Bearish).
   * skill = (Σ hits − Σ bases) / directional; the block bootstrap resamples blocks (with all their cells' sums) to
   * give skill's 95 % interval.
   */
  private horizonCells(hi: number): CalibrationCell[][] {
    const h = HORIZONS[hi];
    const list = this.resolved[hi];
    const blockMs = blockMsOf(h.ms);
    const blockIndex = new Map<number, number>();
    for (const x of list) {
      const b = Math.floor(x.ts / blockMs);
      if (!blockIndex.has(b)) blockIndex.set(b, blockIndex.size);
    }
    const nb = blockIndex.size;
    // Base rates per symbol over the whole kept period at this horizon: the share of its windows that went up / down.
    const ns = this.symbolIds.size;
    const up = new Float64Array(ns);
    const down = new Float64Array(ns);
    const all = new Float64Array(ns);
    for (const x of list) {
      all[x.symbol]++;
      if (x.r > 0) up[x.symbol]++;
      else if (x.r < 0) down[x.symbol]++;
    }
    const bands = SCORE_BANDS.length;
    const cellCount = KIND_COUNT * bands;
    // Per cell: sums by block of (hit − base) and of directional counts; plain totals for the published figures.
    const dSum = Array.from({ length: cellCount }, () => new Float64Array(nb));
    const nSum = Array.from({ length: cellCount }, () => new Float64Array(nb));
    const samples = new Int32Array(cellCount);
    const hits = new Int32Array(cellCount);
    const baseSum = new Float64Array(cellCount);
    const retSum = new Float64Array(cellCount);
    // Returns per cell in typed arrays sized by a first counting pass (a numeric sort, no per-sample allocation).
    for (const x of list) {
      for (let kind = 0; kind < KIND_COUNT; kind++) {
        const value = x.values[kind];
        if (value !== null) samples[kind * bands + bandIndex(value)]++;
      }
    }
    const rets = Array.from({ length: cellCount }, (_, ci) => new Float64Array(samples[ci]));
    const filled = new Int32Array(cellCount);
    for (const x of list) {
      // biome-ignore lint/style/noNonNullAssertion: the loop above put every sample's block in blockIndex
      const b = blockIndex.get(Math.floor(x.ts / blockMs))!;
      for (let kind = 0; kind < KIND_COUNT; kind++) {
        const value = x.values[kind];
        if (value === null) continue;
        const ci = kind * bands + bandIndex(value);
        retSum[ci] += x.r;
        rets[ci][filled[ci]++] = x.r;
        const dir = kind === 0 ? x.dir : directionSign(componentDirection(value));
        if (dir === 0) continue;
        const hit = dir * x.r > 0 ? 1 : 0;
        const base = (dir > 0 ? up[x.symbol] : down[x.symbol]) / all[x.symbol];
        hits[ci] += hit;
        baseSum[ci] += base;
        dSum[ci][b] += hit - base;
        nSum[ci][b] += 1;
      }
    }
    const directional = nSum.map((a) => a.reduce((x, y) => x + y, 0));
    const blocksWith = nSum.map((a) => a.reduce((x, y) => x + (y > 0 ? 1 : 0), 0));
    const eligible = (ci: number) => directional[ci] >= MIN_DIRECTIONAL_SAMPLES && blocksWith[ci] >= MIN_BLOCKS;
    // One set of resampled blocks per horizon, shared by its cells (their correlation is kept too).
    const boot = Array.from({ length: cellCount }, (_, ci) => (eligible(ci) ? new Float64Array(BOOTSTRAP_RESAMPLES) : null));
    let used = 0;
    if (boot.some((x) => x !== null)) {
      const rand = mulberry32(0x5eed + hi);
      const idx = new Int32Array(nb);
      const d = new Float64Array(cellCount);
      const n = new Float64Array(cellCount);
      for (let rep = 0; rep < BOOTSTRAP_RESAMPLES; rep++) {
        for (let j = 0; j < nb; j++) idx[j] = Math.floor(rand() * nb);
        d.fill(0);
        n.fill(0);
        for (let ci = 0; ci < cellCount; ci++) {
          if (boot[ci] === null) continue;
          const ds = dSum[ci];
          const ns = nSum[ci];
          let a = 0;
          let c = 0;
          for (let j = 0; j < nb; j++) {
            a += ds[idx[j]];
            c += ns[idx[j]];
          }
          d[ci] = a;
          n[ci] = c;
        }
        for (let ci = 0; ci < cellCount; ci++) {
          const out = boot[ci];
          // A resample without a directional sample of the cell says nothing about its skill: it counts as 0.
          if (out !== null) out[rep] = n[ci] > 0 ? d[ci] / n[ci] : 0;
        }
        used++;
      }
    }
    const cells: CalibrationCell[][] = [];
    for (let kind = 0; kind < KIND_COUNT; kind++) {
      const row: CalibrationCell[] = [];
      for (let bi = 0; bi < bands; bi++) {
        const ci = kind * bands + bi;
        const nDir = directional[ci];
        const hitRate = nDir > 0 ? hits[ci] / nDir : null;
        const baseRate = nDir > 0 ? baseSum[ci] / nDir : null;
        let skill95: CalibrationCell['skill95'] = null;
        let verdict: CalibrationVerdict = nDir === 0 ? 'no_direction' : 'too_few';
        const b = boot[ci];
        if (b !== null && used > 0) {
          const sorted = b.slice(0, used).sort();
          skill95 = { low: quantile(sorted, 0.025), high: quantile(sorted, 0.975) };
          verdict = skill95.low > 0 ? 'skill' : skill95.high < 0 ? 'anti' : 'none';
        }
        row.push({
          samples: samples[ci],
          directional: nDir,
          hits: hits[ci],
          hitRate,
          baseRate,
          skill: hitRate !== null && baseRate !== null ? hitRate - baseRate : null,
          skill95,
          blocks: blocksWith[ci],
          verdict,
          meanReturn: samples[ci] > 0 ? retSum[ci] / samples[ci] : null,
          medianReturn: median(rets[ci]),
        });
      }
      cells.push(row);
    }
    return cells;
  }

  private compute(): CalibrationData {
    const byHorizon = HORIZONS.map((_, hi) => this.horizonCells(hi));
    const bandsOf = (kind: number): CalibrationData['bands'] =>
      SCORE_BANDS.map((band, bi) => ({ band, byHorizon: Object.fromEntries(HORIZONS.map((h, hi) => [h.name, byHorizon[hi][kind][bi]])) }));
    return {
      horizons: HORIZONS.map((h) => h.name),
      bands: bandsOf(0),
      components: COMPONENT_NAMES.map((component: ComponentName, i) => ({ component, bands: bandsOf(i + 1) })),
      totalSamples: this.totalSamples,
      resolvedSamples: this.resolvedSamples,
      since: this.since,
      method: {
        nonOverlapping: true,
        resamples: BOOTSTRAP_RESAMPLES,
        minSamples: MIN_DIRECTIONAL_SAMPLES,
        minBlocks: MIN_BLOCKS,
        blockMinutes: Object.fromEntries(HORIZONS.map((h) => [h.name, blockMsOf(h.ms) / 60_000])),
      },
    };
  }

  /**
   * The published scoreboard. Per cell (band × horizon), counting only non-overlapping samples (on the horizon's
   * grid): `samples` resolved samples; `directional` those with a Bullish/Bearish label (Neutral counts in samples
   * only); `hits` directional samples whose forward return had the direction's sign (a zero return is a miss);
   * `hitRate` = hits / directional; `baseRate` how often the same symbols moved in the labels' direction over the kept
   * period (the hit rate of no skill); `skill` = hitRate − baseRate with `skill95`, its block-bootstrap 95 % interval; `verdict` 'skill' or
   * 'anti' only when that interval excludes 0, 'too_few' below MIN_DIRECTIONAL_SAMPLES or MIN_BLOCKS;
   * `meanReturn`/`medianReturn` the raw (not direction-adjusted) forward return as a fraction. `totalSamples` counts
   * scored samples (every minute), `resolvedSamples` those resolved at one horizon or more; `since` is the oldest
   * kept sample's minute.
   */
  summary(): CalibrationData {
    this.flush();
    if (this.cached?.version === this.versionNo) return this.cached.data;
    const data = this.compute();
    this.cached = { version: this.versionNo, data };
    this.computedAt = this.now();
    return data;
  }

  /** The summary when it changed since the last call and at least minSummaryIntervalMs of wall time passed; else null. */
  summaryIfChanged(): CalibrationData | null {
    if (this.lastReturned.version === this.version) return null;
    const t = this.now();
    if (t - this.lastReturned.at < this.minSummaryIntervalMs) return null;
    this.lastReturned = { version: this.versionNo, at: t };
    return this.summary();
  }

  /**
   * How the band of `score` has done at `horizon`, for a symbol's detail; null when the score or the record is
   * unknown. Reuses the last scoreboard for up to minSummaryIntervalMs of wall time (a replay crosses many minutes a
   * second, and every cycle asks this for every symbol).
   */
  bandRecord(score: number | null, horizon: HorizonName = '1h'): SymbolDetail['bandRecord'] {
    const band = bandOf(score);
    if (score === null || band === null) return null;
    const cached = this.cached;
    const fresh = cached !== null && (cached.version === this.version || this.now() - this.computedAt < this.minSummaryIntervalMs);
    const data = fresh ? cached.data : this.summary();
    const c = data.bands[bandIndex(score)].byHorizon[horizon];
    if (!c || c.samples === 0) return null;
    return { band, horizon, samples: c.samples, hitRate: c.hitRate, meanReturn: c.meanReturn, baseRate: c.baseRate, skill: c.skill, verdict: c.verdict };
  }

  close(): void {
    if (this.db.open) this.flush();
    if (this.ownsDb && this.db.open) this.db.close();
  }
}
