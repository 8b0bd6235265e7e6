import type { Trade } from './types';

export const RECENT_WINDOW_MS = 60_000;
export const MEDIUM_WINDOW_MS = 300_000;
export const LONG_WINDOW_MS = 900_000;
/** A trade is "large" at this multiple of the mean trade size over the long window. */
export const LARGE_TRADE_FACTOR = 4;

/** Taker flow over one time window ending at `now` (trades stamped after `now` are included). */
export interface FlowWindow {
  /** Buy-aggressor size. */
  buy: number;
  /** Sell-aggressor size. */
  sell: number;
  count: number;
  /** Price of the oldest / newest trade in the window (NaN when empty). */
  firstPrice: number;
  lastPrice: number;
  minPrice: number;
  maxPrice: number;
}

export interface TradeStats {
  readonly total: number;
  readonly recent: FlowWindow;
  readonly medium: FlowWindow;
  readonly long: FlowWindow;
  /** Mean trade size over the long window (0 when empty). */
  readonly meanSize: number;
  readonly largeBuy: number;
  readonly largeSell: number;
  readonly largeCount: number;
}

const INITIAL_CAPACITY = 256;

/**
 * A compact copy (typed arrays) of the snapshot's trades inside the long window: `snapshot.trades` from the first
 * trade stamped ≥ now − LONG_WINDOW_MS on. Kept in step incrementally — only trades after the last synced one (found
 * by object identity, as the intake keeps its trade objects) are copied, expired ones dropped from the front — and
 * rebuilt whenever that cannot be proven equivalent (e.g. the trade objects were recreated), so its content is always
 * exactly what a fresh copy would hold. Scanning it is cache-friendly, unlike thousands of objects.
 */
export class TradeTape {
  ts = new Float64Array(INITIAL_CAPACITY);
  price = new Float64Array(INITIAL_CAPACITY);
  size = new Float64Array(INITIAL_CAPACITY);
  /** 1 = buy aggressor, 0 = sell (multiplied in, so sums need no branch). */
  buy = new Uint8Array(INITIAL_CAPACITY);
  head = 0;
  tail = 0;
  private lastRef: Trade | null = null;
  private cutoff = Number.POSITIVE_INFINITY;

  get length(): number {
    return this.tail - this.head;
  }

  sync(trades: readonly Trade[], now: number): void {
    const cutoff = now - LONG_WINDOW_MS;
    if (!this.syncIncremental(trades, cutoff)) this.rebuild(trades, cutoff);
    this.cutoff = cutoff;
    this.lastRef = this.length > 0 ? trades[trades.length - 1] : null;
  }

  private syncIncremental(trades: readonly Trade[], cutoff: number): boolean {
    if (this.lastRef === null || cutoff < this.cutoff) return false;
    const n = trades.length;
    // By identity only: equal-valued trades (same ts, price, size, side) are common and would be ambiguous.
    let j = -1;
    for (let i = n - 1, stop = Math.max(0, n - 4096); i >= stop; i--) {
      if (trades[i] === this.lastRef) {
        j = i;
        break;
      }
    }
    if (j < 0) return false;
    // The tape mirrors trades[first .. j]; older trades may have been evicted from the snapshot since.
    const first = j - this.length + 1;
    const skip = first < 0 ? -first : 0;
    if (skip >= this.length || !this.matches(this.head + skip, trades[first + skip])) return false;
    // An in-window trade before the tape (a snapshot that grew at the front) cannot be appended: rebuild.
    if (first > 0 && trades[first - 1].ts >= cutoff) return false;
    this.head += skip;
    for (let i = j + 1; i < n; i++) this.push(trades[i]);
    // Every trade before the old head is older than the old cutoff ≤ the new one, so dropping from the head is exact.
    const ts = this.ts;
    let h = this.head;
    while (h < this.tail && ts[h] < cutoff) h++;
    this.head = h;
    return true;
  }

  private rebuild(trades: readonly Trade[], cutoff: number): void {
    const n = trades.length;
    let start = 0;
    while (start < n && trades[start].ts < cutoff) start++;
    this.head = 0;
    this.tail = 0;
    if (this.ts.length < n - start) this.grow(n - start);
    for (let i = start; i < n; i++) this.push(trades[i]);
  }

  private matches(k: number, t: Trade): boolean {
    return this.ts[k] === t.ts && this.price[k] === t.price && this.size[k] === t.size && this.buy[k] === (t.side === 'Buy' ? 1 : 0);
  }

  private push(t: Trade): void {
    if (this.tail === this.ts.length) this.grow(this.length + 1);
    const k = this.tail++;
    this.ts[k] = t.ts;
    this.price[k] = t.price;
    this.size[k] = t.size;
    this.buy[k] = t.side === 'Buy' ? 1 : 0;
  }

  /** Compacts to the front while `need` fills at most 3/4 of the capacity; otherwise reallocates to 1.5× the need. */
  private grow(need: number): void {
    const len = this.length;
    const h = this.head;
    const t = this.tail;
    if (need <= this.ts.length * 0.75 && h > 0) {
      this.ts.copyWithin(0, h, t);
      this.price.copyWithin(0, h, t);
      this.size.copyWithin(0, h, t);
      this.buy.copyWithin(0, h, t);
    } else {
      const cap = Math.max(INITIAL_CAPACITY, Math.ceil(need * 1.5));
      const ts = new Float64Array(cap);
      const price = new Float64Array(cap);
      const size = new Float64Array(cap);
      const buy = new Uint8Array(cap);
      ts.set(this.ts.subarray(h, t));
      price.set(this.price.subarray(h, t));
      size.set(this.size.subarray(h, t));
      buy.set(this.buy.subarray(h, t));
      this.ts = ts;
      this.price = price;
      this.size = size;
      this.buy = buy;
    }
    this.head = 0;
    this.tail = len;
  }
}

interface Segment {
  buy: number;
  sell: number;
  min: number;
  max: number;
}

function segment(price: Float64Array, size: Float64Array, isBuy: Uint8Array, from: number, to: number): Segment {
  let buy = 0;
  let sell = 0;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (let i = from; i < to; i++) {
    const p = price[i];
    const q = size[i];
    // Branch-free: aggressor sides are unpredictable; q·1 and q − q·1 are exact, so this equals the branching sum.
    const bq = q * isBuy[i];
    buy += bq;
    sell += q - bq;
    min = p < min ? p : min;
    max = p > max ? p : max;
  }
  return { buy, sell, min, max };
}

function flow(buy: number, sell: number, count: number, first: number, last: number, min: number, max: number): FlowWindow {
  return count > 0
    ? { buy, sell, count, firstPrice: first, lastPrice: last, minPrice: min, maxPrice: max }
    : { buy: 0, sell: 0, count: 0, firstPrice: Number.NaN, lastPrice: Number.NaN, minPrice: Number.POSITIVE_INFINITY, maxPrice: Number.NEGATIVE_INFINITY };
}

/**
 * Flow windows ending at `now` — recent (60 s) and medium (5 min) are the maximal tape suffixes stamped at or after
 * their start, long (15 min) is the whole tape — and large-trade pressure over the long window.
 */
export function tradeStats(tape: TradeTape, total: number, now: number): TradeStats {
  const { ts, price, size, buy: isBuy, head, tail } = tape;
  const tMedium = now - MEDIUM_WINDOW_MS;
  const tRecent = now - RECENT_WINDOW_MS;
  let m = tail;
  while (m > head && ts[m - 1] >= tMedium) m--;
  let r = tail;
  while (r > m && ts[r - 1] >= tRecent) r--;
  const a = segment(price, size, isBuy, head, m);
  const b = segment(price, size, isBuy, m, r);
  const c = segment(price, size, isBuy, r, tail);
  const last = tail > head ? price[tail - 1] : Number.NaN;
  const recent = flow(c.buy, c.sell, tail - r, r < tail ? price[r] : Number.NaN, last, c.min, c.max);
  const mb = b.buy + c.buy;
  const ms = b.sell + c.sell;
  const medium = flow(mb, ms, tail - m, m < tail ? price[m] : Number.NaN, last, Math.min(b.min, c.min), Math.max(b.max, c.max));
  const long = flow(a.buy + mb, a.sell + ms, tail - head, head < tail ? price[head] : Number.NaN, last, Math.min(a.min, b.min, c.min), Math.max(a.max, b.max, c.max));
  const meanSize = long.count > 0 ? (long.buy + long.sell) / long.count : 0;
  const threshold = LARGE_TRADE_FACTOR * meanSize;
  let largeBuy = 0;
  let largeSell = 0;
  let largeCount = 0;
  if (meanSize > 0) {
    for (let i = head; i < tail; i++) {
      const q = size[i];
      if (q >= threshold) {
        largeCount++;
        if (isBuy[i] === 1) largeBuy += q;
        else largeSell += q;
      }
    }
  }
  return { total, recent, medium, long, meanSize, largeBuy, largeSell, largeCount };
}
