import type { Liquidation, Trade } from '@confluence/confluence';
import { Ring } from './ring';

export const TRADES_WINDOW_MS = 15 * 60_000;
export const TRADES_MAX = 5_000;
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

/** Rolling trades plus the running cumulative volume delta (taker buys − taker sells, in base units, since start). */
export class TradeWindow extends TimeWindow<Trade> {
  private runningCvd = 0;
  private count = 0;

  constructor(windowMs = TRADES_WINDOW_MS, maxCount = TRADES_MAX) {
    super(windowMs, maxCount);
  }

  get cvd(): number {
    return this.runningCvd;
  }

  /** Trades seen since start (not only in the window). */
  get total(): number {
    return this.count;
  }

  override push(t: Trade): void {
    super.push(t);
    this.runningCvd += t.side === 'Buy' ? t.size : -t.size;
    this.count++;
  }
}

export class LiquidationWindow extends TimeWindow<Liquidation> {
  constructor(windowMs = LIQUIDATIONS_WINDOW_MS, maxCount = LIQUIDATIONS_MAX) {
    super(windowMs, maxCount);
  }
}
