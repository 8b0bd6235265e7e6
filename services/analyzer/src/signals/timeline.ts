import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type { SnapshotData, SymbolRow, TimelineData } from '@confluence/contracts';
import type { Logger } from '@confluence/logger';
import { SignalsDb, openSignalsDb } from './db';

export const TIMELINE_WINDOW_MS = 24 * 60 * 60_000;

export interface TimelineOptions {
  db?: SignalsDb;
  dataDir?: string;
  logger: Logger;
  windowMs?: number;
}

/**
 * Time-travel: the table rows as they were at each market minute of the last 24 h (component scores are the
 * breakdown). Snapshots are stored compressed in SQLite so a restart keeps them; the minute index is in memory.
 * The window ends at the newest recorded minute (market time), so a replayed day is browsable like a live one.
 */
export class Timeline {
  private readonly db: SignalsDb;
  private readonly ownsDb: boolean;
  private readonly logger: Logger;
  private readonly windowMs: number;
  /** Recorded minutes, ascending. */
  private readonly minutes: number[] = [];
  /** Minutes recorded but not yet handed out for publishing. */
  private readonly pending = new Set<number>();
  private versionNo = 0;
  private readonly stmt: Record<'put' | 'get' | 'prune', import('better-sqlite3').Statement>;

  constructor(opts: TimelineOptions) {
    if (!opts.db && opts.dataDir === undefined) throw new Error('Timeline needs db or dataDir');
    this.db = opts.db ?? openSignalsDb(opts.dataDir!);
    this.ownsDb = !opts.db;
    this.logger = opts.logger;
    this.windowMs = opts.windowMs ?? TIMELINE_WINDOW_MS;
    this.stmt = {
      put: this.db.prepare('INSERT OR REPLACE INTO tl_snapshots (minute, rows) VALUES (?, ?)'),
      get: this.db.prepare('SELECT rows FROM tl_snapshots WHERE minute = ?').pluck(true),
      prune: this.db.prepare('DELETE FROM tl_snapshots WHERE minute < ?'),
    };
    const stored = this.db.prepare('SELECT minute FROM tl_snapshots ORDER BY minute').pluck(true).all() as number[];
    const newest = stored[stored.length - 1];
    if (newest !== undefined) this.prune(newest);
    for (const m of stored) if (newest === undefined || m >= newest - this.windowMs) this.minutes.push(m);
    // A restart publishes every kept minute again: the cache may have lost them.
    for (const m of this.minutes) this.pending.add(m);
    if (this.minutes.length) this.logger.info('timeline loaded', { minutes: this.minutes.length });
  }

  private prune(newest: number): void {
    const cutoff = newest - this.windowMs;
    this.stmt.prune.run(cutoff);
    let drop = 0;
    while (drop < this.minutes.length && this.minutes[drop] < cutoff) this.pending.delete(this.minutes[drop++]);
    if (drop) this.minutes.splice(0, drop);
  }

  /** Stores the rows as they are at this minute (replacing an earlier record of the same minute). */
  record(minuteTs: number, rows: readonly SymbolRow[]): void {
    const newest = this.minutes[this.minutes.length - 1];
    if (newest !== undefined && minuteTs < newest - this.windowMs) return;
    this.stmt.put.run(minuteTs, deflateRawSync(JSON.stringify(rows), { level: 1 }));
    if (newest === undefined || minuteTs > newest) this.minutes.push(minuteTs);
    else {
      // Out of order (a replay restarted): insert in place unless already there.
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
    this.prune(this.minutes[this.minutes.length - 1]);
    this.versionNo++;
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
    const blob = this.stmt.get.get(minuteTs) as Buffer | undefined;
    if (!blob) return undefined;
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
    const oldest = this.minutes[0];
    for (const m of minutes) if (oldest !== undefined && m >= oldest) this.pending.add(m);
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  get version(): number {
    return this.versionNo;
  }

  close(): void {
    if (this.ownsDb && this.db.open) this.db.close();
  }
}
