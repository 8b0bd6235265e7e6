import { COMPONENT_NAMES, CalibrationCell, CalibrationData, ComponentName, SymbolDetail, SymbolRow } from '@confluence/contracts';
import type { Logger } from '@confluence/logger';
import { SCORE_BANDS, bandIndex, bandOf, componentDirection, directionSign } from './bands';
import { SignalsDb, SqlStatement, openSignalsDb } from './db';
import { LogHistogram } from './histogram';

export const HORIZONS = [
  { name: '15m', ms: 15 * 60_000, column: 'r15' },
  { name: '1h', ms: 60 * 60_000, column: 'r60' },
  { name: '4h', ms: 4 * 60 * 60_000, column: 'r240' },
] as const;
export type HorizonName = (typeof HORIZONS)[number]['name'];

/** z for a two-sided 95 % interval. */
export const Z_95 = 1.959964;
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
 * Wilson score interval for a binomial proportion (95 % with the default z); null when n = 0.
 * Unlike p ± z·√(p(1−p)/n) it stays inside [0, 1] and is honest at 0/n and n/n.
 */
export function wilson(hits: number, n: number, z = Z_95): { low: number; high: number } | null {
  if (n <= 0) return null;
  const p = hits / n;
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const center = (p + z2 / (2 * n)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / denom;
  // At 0/n and n/n the bound is exactly 0 or 1; say so rather than 0.9999999999999999.
  return { low: hits <= 0 ? 0 : Math.max(0, center - half), high: hits >= n ? 1 : Math.min(1, center + half) };
}

/** Ids of what is scored: 0 = the overall score, 1..6 = the components in COMPONENT_NAMES order. */
const KIND_COUNT = 1 + COMPONENT_NAMES.length;
const COMPONENT_COLUMNS = COMPONENT_NAMES.map((c) => `c_${c}`);

interface Cell {
  samples: number;
  directional: number;
  hits: number;
  sum: number;
  hist: LogHistogram | null;
}

/** The columns of a sample the aggregates need, as returned raw by SQLite: scored, score, dir, 6 components, r15, r60, r240. */
type SampleTuple = [number, number | null, number | null, ...Array<number | null>];
const SAMPLE_COLUMNS = ['scored', 'score', 'dir', ...COMPONENT_COLUMNS, ...HORIZONS.map((h) => h.column)].join(', ');
const R_OFFSET = 3 + COMPONENT_NAMES.length;

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

function emptyCell(): Cell {
  return { samples: 0, directional: 0, hits: 0, sum: 0, hist: null };
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
  /** cells[kind][band][horizon] */
  private readonly cells: Cell[][][];
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
  private readonly writeTx: (batch: ReadonlyArray<{ minuteTs: number; params: unknown[][] }>) => Array<{ minuteTs: number; inserted: number; scored: number; resolved: Array<[number, SampleTuple]> }>;

  constructor(opts: CalibrationOptions) {
    if (!opts.db && opts.dataDir === undefined) throw new Error('CalibrationStore needs db or dataDir');
    this.db = opts.db ?? openSignalsDb(opts.dataDir!);
    this.ownsDb = !opts.db;
    this.logger = opts.logger;
    this.now = opts.now ?? Date.now;
    this.retentionMs = opts.retentionMs ?? RETENTION_MS;
    this.maxRows = opts.maxRows ?? MAX_ROWS;
    this.toleranceMs = opts.toleranceMs ?? RESOLVE_TOLERANCE_MS;
    this.maxPriceAgeMs = opts.maxPriceAgeMs ?? MAX_PRICE_AGE_MS;
    this.minSummaryIntervalMs = opts.minSummaryIntervalMs ?? 5_000;
    this.flushIntervalMs = opts.flushIntervalMs ?? FLUSH_INTERVAL_MS;
    this.cells = Array.from({ length: KIND_COUNT }, () => SCORE_BANDS.map(() => HORIZONS.map(emptyCell)));

    const db = this.db;
    this.stmt = {
      insert: db.prepare(
        `INSERT OR IGNORE INTO cal_samples (symbol, ts, price, scored, score, dir, confidence, ${COMPONENT_COLUMNS.join(', ')})
         VALUES (?, ?, ?, ?, ?, ?, ?, ${COMPONENT_COLUMNS.map(() => '?').join(', ')})`,
      ),
      // One statement per horizon resolves every symbol sampled this minute: the samples in [now−h−tol, now−h]
      // still unresolved have no earlier sample at or after t+h, so this minute's is the first.
      resolve: HORIZONS.map((h) =>
        db.prepare(
          `UPDATE cal_samples AS s SET ${h.column} = n.price / s.price - 1
           FROM cal_samples AS n
           WHERE n.ts = @now AND n.symbol = s.symbol
             AND s.ts BETWEEN @lo AND @hi AND s.scored = 1 AND s.${h.column} IS NULL
           RETURNING ${SAMPLE_COLUMNS}`,
        ).raw(true),
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
    const iter = this.db.prepare(`SELECT ${SAMPLE_COLUMNS} FROM cal_samples WHERE scored = 1 AND (${resolvedWhere})`).raw(true).iterate() as IterableIterator<SampleTuple>;
    for (const t of iter) {
      this.resolvedSamples++;
      HORIZONS.forEach((_, hi) => {
        const r = t[R_OFFSET + hi];
        if (r !== null) this.apply(t, hi, r, 1);
      });
    }
    this.lastPruneAt = this.latest;
    this.versionNo++;
    if (this.rows > 0) this.logger.info('calibration samples loaded', { rows: this.rows, samples: this.totalSamples, resolved: this.resolvedSamples, ms: Date.now() - started });
  }

  /** Adds (sign 1) or removes (sign −1) one resolved return to every cell the sample falls in. */
  private apply(t: SampleTuple, horizon: number, r: number, sign: 1 | -1): void {
    for (let kind = 0; kind < KIND_COUNT; kind++) {
      const value = t[kind === 0 ? 1 : 2 + kind];
      if (value === null) continue;
      const dir = kind === 0 ? (t[2] ?? 0) : directionSign(componentDirection(value));
      const cell = this.cells[kind][bandIndex(value)][horizon];
      cell.samples += sign;
      if (dir !== 0) {
        cell.directional += sign;
        if (dir * r > 0) cell.hits += sign;
      }
      cell.sum = cell.samples === 0 ? 0 : cell.sum + sign * r;
      if (sign > 0) (cell.hist ??= new LogHistogram()).add(r);
      else cell.hist?.remove(r);
    }
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
        const rs = t.slice(R_OFFSET) as Array<number | null>;
        if (rs.every((r, i) => i === hi || r === null)) this.resolvedSamples++;
        this.apply(t, hi, rs[hi]!, 1);
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
      if (t[0] !== 1) continue;
      this.totalSamples--;
      const rs = t.slice(R_OFFSET) as Array<number | null>;
      if (rs.some((r) => r !== null)) this.resolvedSamples--;
      rs.forEach((r, hi) => {
        if (r !== null) this.apply(t, hi, r, -1);
      });
    }
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

  private static cellOut(c: Cell): CalibrationCell {
    return {
      samples: c.samples,
      directional: c.directional,
      hits: c.hits,
      hitRate: c.directional > 0 ? c.hits / c.directional : null,
      wilson95: wilson(c.hits, c.directional),
      meanReturn: c.samples > 0 ? c.sum / c.samples : null,
      medianReturn: c.hist && c.samples > 0 ? c.hist.median() : null,
    };
  }

  private bandsOut(kind: number): CalibrationData['bands'] {
    return SCORE_BANDS.map((band, bi) => ({
      band,
      byHorizon: Object.fromEntries(HORIZONS.map((h, hi) => [h.name, CalibrationStore.cellOut(this.cells[kind][bi][hi])])),
    }));
  }

  /**
   * The published scoreboard. Per cell (band × horizon): `samples` resolved samples; `directional` those with a
   * Bullish/Bearish direction (Neutral counts in samples only); `hits` directional samples whose forward return had
   * the direction's sign (a zero return is a miss); `hitRate` = hits / directional with its Wilson 95 % interval;
   * `meanReturn`/`medianReturn` the raw (not direction-adjusted) forward return as a fraction — within a score band
   * the direction is uniform, so ≥70 should be positive and ≤30 negative. The median is exact to 0.1 % of its
   * value (log-bucketed histogram). `totalSamples` counts scored samples, `resolvedSamples` those resolved at one
   * horizon or more; `since` is the oldest kept sample's minute.
   */
  summary(): CalibrationData {
    this.flush();
    if (this.cached?.version === this.versionNo) return this.cached.data;
    const data: CalibrationData = {
      horizons: HORIZONS.map((h) => h.name),
      bands: this.bandsOut(0),
      components: COMPONENT_NAMES.map((component: ComponentName, i) => ({ component, bands: this.bandsOut(i + 1) })),
      totalSamples: this.totalSamples,
      resolvedSamples: this.resolvedSamples,
      since: this.since,
    };
    this.cached = { version: this.versionNo, data };
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

  /** How the band of `score` has done at `horizon`, for a symbol's detail; null when the score or the record is unknown. */
  bandRecord(score: number | null, horizon: HorizonName = '1h'): SymbolDetail['bandRecord'] {
    this.flush();
    const band = bandOf(score);
    if (band === null) return null;
    const hi = HORIZONS.findIndex((h) => h.name === horizon);
    const c = this.cells[0][bandIndex(score!)][hi];
    if (c.samples === 0) return null;
    return { band, horizon, samples: c.samples, hitRate: c.directional > 0 ? c.hits / c.directional : null, meanReturn: c.sum / c.samples };
  }

  close(): void {
    if (this.db.open) this.flush();
    if (this.ownsDb && this.db.open) this.db.close();
  }
}
