import type { BookLevel, BookSnapshot } from '@confluence/confluence';
import type { BookDeltaEvent, BookSnapshotEvent } from '../intake/events';

/**
 * Local order book of one symbol, fed by Bybit `orderbook.N` snapshots and deltas.
 * Levels live in two sorted price arrays with parallel size arrays (bids descending, asks ascending): the best levels are
 * the first elements, so top-N extraction is a slice; updates are a binary search plus a short splice.
 * Rules (Bybit v5 docs): a snapshot (or any message with u == 1) replaces the book; a delta must have u == previous u + 1;
 * size 0 deletes a level. A gap or a crossed book (best bid ≥ best ask) clears the book and marks it unsynced until the
 * next snapshot; the caller turns the returned 'gap'/'crossed' into a resubscribe. An empty snapshot (no levels at
 * all, Bybit's u = 1 delisting / tick-size signal) leaves the book unsynced ('empty'), never a synced empty book. An
 * unsynced book exposes no levels, so a crossed state is never visible.
 */

export type BookApplyResult = 'snapshot' | 'applied' | 'ignored' | 'duplicate' | 'gap' | 'crossed' | 'empty';
/** `empty`: an empty snapshot (u = 1, no levels): Bybit's signal for a delisting or a tick-size change. */
export type BookUnsyncedReason = 'awaiting_snapshot' | 'gap' | 'crossed' | 'disconnect' | 'empty';

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

/**
 * One side: prices and sizes in parallel number arrays (an update allocates nothing; Bybit sends orderbook.50 deltas
 * every 20 ms), plus the [price, size] tuple last handed out for each level. A tuple is never written after it is made,
 * so snapshots share the tuples of unchanged levels, and a snapshot allocates only the levels that changed since the
 * previous one.
 */
interface Side {
  px: number[];
  sz: number[];
  lv: (BookLevel | undefined)[];
}

function newSide(): Side {
  return { px: [], sz: [], lv: [] };
}

function setLevel(side: Side, price: number, size: number, desc: boolean): void {
  const { px, sz, lv } = side;
  const i = search(px, price, desc);
  if (i < px.length && px[i] === price) {
    if (size === 0) {
      px.splice(i, 1);
      sz.splice(i, 1);
      lv.splice(i, 1);
    } else if (sz[i] !== size) {
      sz[i] = size;
      lv[i] = undefined;
    }
  } else if (size !== 0) {
    if (i === px.length) {
      px.push(price);
      sz.push(size);
      lv.push(undefined);
    } else {
      px.splice(i, 0, price);
      sz.splice(i, 0, size);
      lv.splice(i, 0, undefined);
    }
  }
}

function applyLevels(side: Side, flat: ArrayLike<number>, desc: boolean): void {
  for (let i = 0; i < flat.length; i += 2) setLevel(side, flat[i], flat[i + 1], desc);
}

function toLevels(side: Side, n: number): BookLevel[] {
  const { px, sz, lv } = side;
  const len = Math.min(n, px.length);
  const out = new Array<BookLevel>(len);
  for (let i = 0; i < len; i++) {
    let level = lv[i];
    if (level === undefined) {
      level = [px[i], sz[i]];
      lv[i] = level;
    }
    out[i] = level;
  }
  return out;
}

/** Keeps the best `max` levels of a side (0 empties it). */
function trim(side: Side, max: number): void {
  if (side.px.length > max) {
    side.px.length = max;
    side.sz.length = max;
    side.lv.length = max;
  }
}

export class OrderBook {
  private readonly bid = newSide();
  private readonly ask = newSide();
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
      if (ev.bids.length === 0 && ev.asks.length === 0) {
        // Not a synced empty book: the instrument is being delisted or re-ticked. Deltas that follow are ignored
        // until a snapshot with levels arrives (the intake resubscribes and re-reads the instrument's status).
        this.lastU = ev.u;
        this.lastTs = ev.ts;
        this.invalidate('empty');
        return 'empty';
      }
      this.clearLevels();
      applyLevels(this.bid, ev.bids, true);
      applyLevels(this.ask, ev.asks, false);
      return this.finish(ev, 'snapshot');
    }
    if (!this.isSynced) return 'ignored';
    if (ev.u === this.lastU) return 'duplicate';
    if (ev.u !== this.lastU + 1) {
      this.invalidate('gap');
      return 'gap';
    }
    applyLevels(this.bid, ev.bids, true);
    applyLevels(this.ask, ev.asks, false);
    return this.finish(ev, 'applied');
  }

  /** Drops all levels and waits for a snapshot (after a disconnect, a gap, a crossed book). */
  invalidate(reason: BookUnsyncedReason): void {
    this.clearLevels();
    this.isSynced = false;
    this.why = reason;
  }

  bestBid(): number | undefined {
    return this.isSynced ? this.bid.px[0] : undefined;
  }

  bestAsk(): number | undefined {
    return this.isSynced ? this.ask.px[0] : undefined;
  }

  /** Spread in basis points of the mid, or undefined without both sides. */
  spreadBps(): number | undefined {
    const b = this.bestBid();
    const a = this.bestAsk();
    if (b === undefined || a === undefined) return undefined;
    return ((a - b) / ((a + b) / 2)) * 10_000;
  }

  levelCount(): { bids: number; asks: number } {
    return { bids: this.bid.px.length, asks: this.ask.px.length };
  }

  /**
   * Top `depth` levels per side, best first. Built once per change and shared: callers must not mutate it.
   * Unsynced → no levels, `synced: false`.
   */
  snapshot(): BookSnapshot {
    if (this.cached) return this.cached;
    this.cached = this.isSynced
      ? { bids: toLevels(this.bid, this.depth), asks: toLevels(this.ask, this.depth), ts: this.lastTs, synced: true }
      : { bids: EMPTY, asks: EMPTY, ts: this.lastTs, synced: false };
    return this.cached;
  }

  private finish(ev: BookSnapshotEvent | BookDeltaEvent, result: 'snapshot' | 'applied'): BookApplyResult {
    this.lastU = ev.u;
    this.lastTs = ev.ts;
    trim(this.bid, this.maxLevels);
    trim(this.ask, this.maxLevels);
    if (this.bid.px.length && this.ask.px.length && this.bid.px[0] >= this.ask.px[0]) {
      this.invalidate('crossed');
      return 'crossed';
    }
    this.isSynced = true;
    this.cached = undefined;
    return result;
  }

  private clearLevels(): void {
    trim(this.bid, 0);
    trim(this.ask, 0);
    this.cached = undefined;
  }
}
