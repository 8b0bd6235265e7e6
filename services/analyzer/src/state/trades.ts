import { EMPTY_TRADES, type Liquidation, type TradeColumns } from '@confluence/confluence';
import { Ring } from './ring';

export const TRADES_WINDOW_MS = 15 * 60_000;
/**
 * The trade window is bounded by time (TRADES_WINDOW_MS); this count is only a safety cap on memory, above any
 * sustained rate we know of: 400 trades/s for the whole 15 minutes. Worst case per symbol: 360,000 trades × 25 bytes
 * (three Float64 columns and one Uint8) = 9.0 MB, plus up to an eighth of slack after a reallocation (10.1 MB = 9.7 MiB),
 * reached only by a symbol that trades 400/s for 15 minutes straight; a quiet symbol holds a few hundred kB. Every
 * trade the cap drops is counted (`truncated`), never silently.
 */
export const TRADES_MAX = 360_000;
/** Bytes one trade costs in the columns: ts, price, size (Float64) and the taker side (Uint8). */
export const TRADE_BYTES = 8 + 8 + 8 + 1;
export const LIQUIDATIONS_WINDOW_MS = 60 * 60_000;
export const LIQUIDATIONS_MAX = 2_000;

/** Recent records bounded by age (relative to the newest record or a clock) and by count, oldest first. */
export class TimeWindow<T extends { readonly ts: number }> {
  private readonly ring: Ring<T>;

  constructor(
    readonly windowMs: number,
    maxCount: number,
  ) {
    this.ring = new Ring<T>(maxCount);
  }

  get size(): number {
    return this.ring.size;
  }

  get allocated(): number {
    return this.ring.allocated;
  }

  newest(): T | undefined {
    return this.ring.newest();
  }

  push(item: T): void {
    this.ring.push(item);
    this.expire(item.ts);
  }

  /** Drops records older than `now - windowMs`. */
  expire(now: number): void {
    const cutoff = now - this.windowMs;
    let oldest = this.ring.oldest();
    while (oldest !== undefined && oldest.ts < cutoff) {
      this.ring.shift();
      oldest = this.ring.oldest();
    }
  }

  clear(): void {
    this.ring.clear();
  }

  view(): readonly T[] {
    return this.ring.view();
  }
}

/** Room a reallocated trade buffer leaves for new trades: an eighth of the live ones, at least 64. */
export function tradeBufferSlack(live: number): number {
  return Math.max(64, Math.ceil(live / 8));
}

/**
 * Rolling trades as typed-array columns (no object per trade: 25 bytes each instead of ≈100), bounded by age
 * (relative to the newest trade or a clock; the count cap is a memory safety net, see TRADES_MAX), plus the running cumulative volume delta (taker buys −
 * taker sells, in base units, since start).
 *
 * Append-only between reallocations, so a `view()` handed out earlier stays exactly what it was: pushes write past
 * its `tail`, expiry only moves `head`, and a full buffer moves the live trades into new arrays (with room for an
 * eighth more, see tradeBufferSlack) instead of compacting in place. The scoring cycle reads views while trades keep arriving.
 */
export class TradeWindow {
  private ts = new Float64Array(0);
  private price = new Float64Array(0);
  private size_ = new Float64Array(0);
  private buy = new Uint8Array(0);
  private head = 0;
  private tail = 0;
  private cached: TradeColumns | undefined = EMPTY_TRADES;
  private runningCvd = 0;
  private count = 0;
  private dropped = 0;

  constructor(
    readonly windowMs = TRADES_WINDOW_MS,
    readonly maxCount = TRADES_MAX,
  ) {
    if (!Number.isInteger(maxCount) || maxCount < 1) throw new RangeError(`trade window size must be a positive integer, got ${maxCount}`);
  }

  /** Trades in the window. */
  get size(): number {
    return this.tail - this.head;
  }

  /** Slots allocated per column (for memory-bound checks). */
  get allocated(): number {
    return this.ts.length;
  }

  get cvd(): number {
    return this.runningCvd;
  }

  /** Trades seen since start (not only in the window). */
  get total(): number {
    return this.count;
  }

  /** Trades dropped by the count cap while still inside the time window (0 unless a symbol exceeds the cap's rate). */
  get truncated(): number {
    return this.dropped;
  }

  /** Bytes held by the columns (allocated slots, live or not). */
  get bytes(): number {
    return this.ts.length * TRADE_BYTES;
  }

  push(t: { readonly ts: number; readonly price: number; readonly size: number; readonly side: 'Buy' | 'Sell' }): void {
    if (this.tail - this.head >= this.maxCount) {
      this.head++;
      this.dropped++;
    }
    if (this.tail === this.ts.length) this.reallocate();
    const k = this.tail++;
    const isBuy = t.side === 'Buy' ? 1 : 0;
    this.ts[k] = t.ts;
    this.price[k] = t.price;
    this.size_[k] = t.size;
    this.buy[k] = isBuy;
    this.cached = undefined;
    this.runningCvd += isBuy ? t.size : -t.size;
    this.count++;
    this.expire(t.ts);
  }

  /** Drops trades older than `now - windowMs`. */
  expire(now: number): void {
    const cutoff = now - this.windowMs;
    let h = this.head;
    while (h < this.tail && this.ts[h] < cutoff) h++;
    if (h !== this.head) {
      this.head = h;
      this.cached = undefined;
    }
  }

  clear(): void {
    this.ts = new Float64Array(0);
    this.price = new Float64Array(0);
    this.size_ = new Float64Array(0);
    this.buy = new Uint8Array(0);
    this.head = 0;
    this.tail = 0;
    this.cached = EMPTY_TRADES;
  }

  /** The window's trades; rebuilt (a small object, no copy) only after a change, never changed afterwards. */
  view(): TradeColumns {
    this.cached ??= { ts: this.ts, price: this.price, size: this.size_, buy: this.buy, head: this.head, tail: this.tail };
    return this.cached;
  }

  private reallocate(): void {
    const live = this.tail - this.head;
    const ts = new Float64Array(live + tradeBufferSlack(live));
    const price = new Float64Array(ts.length);
    const size = new Float64Array(ts.length);
    const buy = new Uint8Array(ts.length);
    ts.set(this.ts.subarray(this.head, this.tail));
    price.set(this.price.subarray(this.head, this.tail));
    size.set(this.size_.subarray(this.head, this.tail));
    buy.set(this.buy.subarray(this.head, this.tail));
    this.ts = ts;
    this.price = price;
    this.size_ = size;
    this.buy = buy;
    this.head = 0;
    this.tail = live;
  }
}

export class LiquidationWindow extends TimeWindow<Liquidation> {
  constructor(windowMs = LIQUIDATIONS_WINDOW_MS, maxCount = LIQUIDATIONS_MAX) {
    super(windowMs, maxCount);
  }
}
