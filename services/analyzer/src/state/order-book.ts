import type { BookLevel, BookSnapshot } from '@confluence/confluence';
import type { BookDeltaEvent, BookSnapshotEvent } from '../intake/events';

/**
 * Local order book of one symbol, fed by Bybit `orderbook.N` snapshots and deltas.
 * Levels live in two sorted price arrays with parallel size arrays (bids descending, asks ascending): the best levels are
 * the first elements, so top-N extraction is a slice; updates are a binary search plus a short splice.
 * Rules (BYBIT.md): a snapshot (or any message with u == 1) replaces the book; a delta must have u == previous u + 1;
 * size 0 deletes a level. A gap or a crossed book (best bid ≥ best ask) clears the book and marks it unsynced until the
 * next snapshot; the caller turns the returned 'gap'/'crossed' into a resubscribe. An unsynced book exposes no levels,
 * so a crossed state is never visible.
 */

export type BookApplyResult = 'snapshot' | 'applied' | 'ignored' | 'duplicate' | 'gap' | 'crossed';
export type BookUnsyncedReason = 'awaiting_snapshot' | 'gap' | 'crossed' | 'disconnect';

const EMPTY: readonly BookLevel[] = Object.freeze([]) as readonly BookLevel[];

/** Index of `price` in a sorted array, or where it would be inserted. */
function search(px: readonly number[], price: number, desc: boolean): number {
  let lo = 0;
  let hi = px.length;
  if (desc) {
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (px[mid] > price) lo = mid + 1;
      else hi = mid;
    }
  } else {
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (px[mid] < price) lo = mid + 1;
      else hi = mid;
    }
  }
  return lo;
}

function setLevel(px: number[], sz: number[], price: number, size: number, desc: boolean): void {
  const i = search(px, price, desc);
  if (i < px.length && px[i] === price) {
    if (size === 0) {
      px.splice(i, 1);
      sz.splice(i, 1);
    } else {
      sz[i] = size;
    }
  } else if (size !== 0) {
    if (i === px.length) {
      px.push(price);
      sz.push(size);
    } else {
      px.splice(i, 0, price);
      sz.splice(i, 0, size);
    }
  }
}

function applyLevels(px: number[], sz: number[], flat: readonly number[], desc: boolean): void {
  for (let i = 0; i < flat.length; i += 2) setLevel(px, sz, flat[i], flat[i + 1], desc);
}

function toLevels(px: readonly number[], sz: readonly number[], n: number): BookLevel[] {
  const len = Math.min(n, px.length);
  const out = new Array<BookLevel>(len);
  for (let i = 0; i < len; i++) out[i] = [px[i], sz[i]];
  return out;
}

export class OrderBook {
  private bidPx: number[] = [];
  private bidSz: number[] = [];
  private askPx: number[] = [];
  private askSz: number[] = [];
  private lastU = 0;
  private lastTs = 0;
  private isSynced = false;
  private why: BookUnsyncedReason = 'awaiting_snapshot';
  private cached: BookSnapshot | undefined;
  /** Levels kept per side: the subscribed depth plus slack for a missed "level left the window" delete. */
  readonly maxLevels: number;

  constructor(
    readonly depth = 50,
    slack = Math.max(10, Math.ceil(depth / 2)),
  ) {
    this.maxLevels = depth + slack;
  }

  get synced(): boolean {
    return this.isSynced;
  }

  /** Why the book is unsynced (undefined while synced). */
  get unsyncedReason(): BookUnsyncedReason | undefined {
    return this.isSynced ? undefined : this.why;
  }

  get u(): number {
    return this.lastU;
  }

  get ts(): number {
    return this.lastTs;
  }

  apply(ev: BookSnapshotEvent | BookDeltaEvent): BookApplyResult {
    if (ev.type === 'book_snapshot' || ev.u === 1) {
      this.clearLevels();
      applyLevels(this.bidPx, this.bidSz, ev.bids, true);
      applyLevels(this.askPx, this.askSz, ev.asks, false);
      return this.finish(ev, 'snapshot');
    }
    if (!this.isSynced) return 'ignored';
    if (ev.u === this.lastU) return 'duplicate';
    if (ev.u !== this.lastU + 1) {
      this.invalidate('gap');
      return 'gap';
    }
    applyLevels(this.bidPx, this.bidSz, ev.bids, true);
    applyLevels(this.askPx, this.askSz, ev.asks, false);
    return this.finish(ev, 'applied');
  }

  /** Drops all levels and waits for a snapshot (after a disconnect, a gap, a crossed book). */
  invalidate(reason: BookUnsyncedReason): void {
    this.clearLevels();
    this.isSynced = false;
    this.why = reason;
  }

  bestBid(): number | undefined {
    return this.isSynced ? this.bidPx[0] : undefined;
  }

  bestAsk(): number | undefined {
    return this.isSynced ? this.askPx[0] : undefined;
  }

  /** Spread in basis points of the mid, or undefined without both sides. */
  spreadBps(): number | undefined {
    const b = this.bestBid();
    const a = this.bestAsk();
    if (b === undefined || a === undefined) return undefined;
    return ((a - b) / ((a + b) / 2)) * 10_000;
  }

  levelCount(): { bids: number; asks: number } {
    return { bids: this.bidPx.length, asks: this.askPx.length };
  }

  /**
   * Top `depth` levels per side, best first. Built once per change and shared: callers must not mutate it.
   * Unsynced → no levels, `synced: false`.
   */
  snapshot(): BookSnapshot {
    if (this.cached) return this.cached;
    this.cached = this.isSynced
      ? { bids: toLevels(this.bidPx, this.bidSz, this.depth), asks: toLevels(this.askPx, this.askSz, this.depth), ts: this.lastTs, synced: true }
      : { bids: EMPTY, asks: EMPTY, ts: this.lastTs, synced: false };
    return this.cached;
  }

  private finish(ev: BookSnapshotEvent | BookDeltaEvent, result: 'snapshot' | 'applied'): BookApplyResult {
    this.lastU = ev.u;
    this.lastTs = ev.ts;
    if (this.bidPx.length > this.maxLevels) {
      this.bidPx.length = this.maxLevels;
      this.bidSz.length = this.maxLevels;
    }
    if (this.askPx.length > this.maxLevels) {
      this.askPx.length = this.maxLevels;
      this.askSz.length = this.maxLevels;
    }
    if (this.bidPx.length && this.askPx.length && this.bidPx[0] >= this.askPx[0]) {
      this.invalidate('crossed');
      return 'crossed';
    }
    this.isSynced = true;
    this.cached = undefined;
    return result;
  }

  private clearLevels(): void {
    this.bidPx.length = 0;
    this.bidSz.length = 0;
    this.askPx.length = 0;
    this.askSz.length = 0;
    this.cached = undefined;
  }
}
