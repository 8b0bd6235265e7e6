import { WS_CONNECT_WINDOW_MS } from '@confluence/bybit-wire';

/**
 * Pool-wide cap on WebSocket connection attempts: at most `max` attempts in any `windowMs` (sliding window).
 * Bybit allows 500 new connections per 5 minutes per IP; 28 connections failing in a loop with a short backoff would
 * make far more. Every connection of the pool asks the gate before dialling; when the budget is spent it is told how
 * long to wait, so attempts spread out instead of hitting Bybit's limit (and a temporary ban).
 */
export const CONNECT_WINDOW_MS = WS_CONNECT_WINDOW_MS;
export const DEFAULT_CONNECTS_PER_WINDOW = 300;

export class ConnectGate {
  private readonly times: number[] = [];
  /** Attempts let through and attempts deferred, since start. */
  granted = 0;
  deferred = 0;

  constructor(
    readonly max = DEFAULT_CONNECTS_PER_WINDOW,
    readonly windowMs = CONNECT_WINDOW_MS,
    private readonly now: () => number = Date.now,
  ) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`connection attempts per window must be a positive integer, got ${max}`);
  }

  /** 0 and the attempt is counted, or how many ms to wait before asking again. */
  reserve(): number {
    const now = this.now();
    while (this.times.length > 0 && this.times[0] <= now - this.windowMs) this.times.shift();
    if (this.times.length < this.max) {
      this.times.push(now);
      this.granted++;
      return 0;
    }
    this.deferred++;
    return Math.max(1, this.times[0] + this.windowMs - now);
  }

  /** Attempts within the current window, oldest first (handed to a restarted intake thread, see `seed`). */
  recent(): number[] {
    const now = this.now();
    return this.times.filter((t) => t > now - this.windowMs);
  }

  /** Counts attempts an earlier gate let through, so a restart does not reset the budget. */
  seed(times: readonly number[]): void {
    this.times.unshift(...times);
    this.times.sort((a, b) => a - b);
  }

  /** Attempts within the current window. */
  get inWindow(): number {
    const now = this.now();
    return this.times.filter((t) => t > now - this.windowMs).length;
  }
}
