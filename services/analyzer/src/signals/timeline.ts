import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type { SnapshotData, SymbolRow, TimelineData } from '@confluence/contracts';
import type { Logger } from '@confluence/logger';
import { type SignalsDb, type SqlStatement, openSignalsDb } from './db';

export const TIMELINE_WINDOW_MS = 24 * 60 * 60_000;
/** Snapshots are written in one transaction per this much wall time (or per MAX_BUFFERED minutes). */
export const TIMELINE_FLUSH_MS = 1_000;
const MAX_BUFFERED = 120;

export interface TimelineOptions {
  db?: SignalsDb;
  dataDir?: string;
  logger: Logger;
  windowMs?: number;
  /** Wall clock, for write batching. */
  now?: () => number;
  flushIntervalMs?: number;
}

/**
 * Time-travel: the table rows as they were at each market minute of the last 24 h (component scores are the
 * breakdown). Snapshots are stored deflated in SQLite so a restart keeps them; the minute index is in memory.
 * The window ends at the newest recorded minute (market time), so a replayed day is browsable like a live one.
 */
export class Timeline {
  private readonly db: SignalsDb;
  private readonly ownsDb: boolean;
  private readonly logger: Logger;
  private readonly windowMs: number;
  private readonly now: () => number;
  private readonly flushIntervalMs: number;
  /** Recorded minutes, ascending. */
  private readonly minutes: number[] = [];
  /** Minutes recorded but not yet handed out for publishing. */
  private readonly pending = new Set<number>();
  /** Snapshots recorded but not yet written, by minute. */
  private buffer = new Map<number, Buffer>();
  private lastFlushAt = -Infinity;
  private versionNo = 0;
  private readonly stmt: Record<'put' | 'get' | 'prune', SqlStatement>;
  private readonly writeTx: (batch: ReadonlyMap<number, Buffer>, cutoff: number) => void;

  constructor(opts: TimelineOptions) {
    if (opts.db) this.db = opts.db;
    else if (opts.dataDir !== undefined) this.db = openSignalsDb(opts.dataDir);
    else throw new Error('Timeline needs db or dataDir');
    this.ownsDb = !opts.db;
    this.logger = opts.logger;
    this.windowMs = opts.windowMs ?? TIMELINE_WINDOW_MS;
    this.now = opts.now ?? Date.now;
    this.flushIntervalMs = opts.flushIntervalMs ?? TIMELINE_FLUSH_MS;
    this.stmt = {
      put: this.db.prepare('INSERT OR REPLACE INTO tl_snapshots (minute, rows) VALUES (?, ?)'),
      get: this.db.prepare('SELECT rows FROM tl_snapshots WHERE minute = ?').pluck(true),
      prune: this.db.prepare('DELETE FROM tl_snapshots WHERE minute < ?'),
    };
    this.writeTx = this.db.transaction((batch: ReadonlyMap<number, Buffer>, cutoff: number) => {
      for (const [minute, blob] of batch) if (minute >= cutoff) this.stmt.put.run(minute, blob);
      this.stmt.prune.run(cutoff);
    });
    const stored = this.db.prepare('SELECT minute FROM tl_snapshots ORDER BY minute').pluck(true).all() as number[];
    const newest = stored[stored.length - 1];
    for (const m of stored) if (m >= newest - this.windowMs) this.minutes.push(m);
    if (newest !== undefined) this.stmt.prune.run(newest - this.windowMs);
    // A restart publishes every kept minute again: the cache may have lost them.
    for (const m of this.minutes) this.pending.add(m);
    if (this.minutes.length) this.logger.info('timeline loaded', { minutes: this.minutes.length });
  }

  private cutoff(): number {
    const newest = this.minutes[this.minutes.length - 1];
    return newest === undefined ? -Infinity : newest - this.windowMs;
  }

  /** Stores the rows as they are at this minute (replacing an earlier record of the same minute). */
  record(minuteTs: number, rows: readonly SymbolRow[]): void {
    if (minuteTs < this.cutoff()) return;
    this.buffer.set(minuteTs, deflateRawSync(JSON.stringify(rows), { level: 1 }));
    const newest = this.minutes[this.minutes.length - 1];
    if (newest === undefined || minuteTs > newest) this.minutes.push(minuteTs);
    else {
      // Out of order (a replay started again): insert in place unless already there.
      let lo = 0;
      let hi = this.minutes.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (this.minutes[mid] < minuteTs) lo = mid + 1;
        else hi = mid;
      }
      if (this.minutes[lo] !== minuteTs) this.minutes.splice(lo, 0, minuteTs);
    }
    this.pending.add(minuteTs);
    const cutoff = this.cutoff();
    let drop = 0;
    while (drop < this.minutes.length && this.minutes[drop] < cutoff) this.pending.delete(this.minutes[drop++]);
    if (drop) this.minutes.splice(0, drop);
    this.versionNo++;
    if (this.buffer.size >= MAX_BUFFERED || this.now() - this.lastFlushAt >= this.flushIntervalMs) this.flush();
  }

  /** Writes buffered snapshots and drops those that left the window, in one transaction. */
  flush(): void {
    if (!this.buffer.size) return;
    const batch = this.buffer;
    this.buffer = new Map();
    this.lastFlushAt = this.now();
    this.writeTx(batch, this.cutoff());
  }

  /** Recorded minutes of the window, oldest first. */
  index(): TimelineData {
    return { minutes: [...this.minutes] };
  }

  /** The index as far as it was handed out for publishing: minutes whose snapshot key should exist. */
  publishedIndex(): TimelineData {
    return { minutes: this.minutes.filter((m) => !this.pending.has(m)) };
  }

  get(minuteTs: number): SnapshotData | undefined {
    const blob = this.buffer.get(minuteTs) ?? (this.stmt.get.get(minuteTs) as Buffer | undefined);
    if (!blob || minuteTs < this.cutoff()) return undefined;
    return { minute: minuteTs, rows: JSON.parse(inflateRawSync(blob).toString('utf8')) as SymbolRow[] };
  }

  /** Takes up to `limit` minutes still to publish, newest first (the recent past matters most after a restart). */
  takePending(limit: number): number[] {
    const out = [...this.pending].sort((a, b) => b - a).slice(0, limit);
    for (const m of out) this.pending.delete(m);
    return out;
  }

  /** Hands minutes back after a failed publish (or all of them, when the cache may have been emptied). */
  requeue(minutes: readonly number[] = this.minutes): void {
    const cutoff = this.cutoff();
    for (const m of minutes) if (m >= cutoff) this.pending.add(m);
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  get version(): number {
    return this.versionNo;
  }

  close(): void {
    if (this.db.open) this.flush();
    if (this.ownsDb && this.db.open) this.db.close();
  }
}
