/**
 * Token bucket (`ratePerSec`, burst `burst`) plus a cap on requests in flight, with a global pause
 * (set after HTTP 403 / 429 / retCode 10006). Waiters are served FIFO.
 * Defaults (20 req/s, 4 in flight) stay far below Bybit's 600 requests per 5 s per IP, leaving room for other shards.
 */
export interface RateLimiterOptions {
  ratePerSec?: number;
  burst?: number;
  maxInFlight?: number;
  now?: () => number;
}

export class RateLimiterClosedError extends Error {
  readonly code = 'limiter_closed';
  constructor() {
    super('rate limiter closed');
  }
}

export class RateLimiter {
  private tokens: number;
  private lastRefill: number;
  private inFlight = 0;
  private pausedUntil = 0;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly waiters: { resolve: (release: () => void) => void; reject: (e: Error) => void }[] = [];
  private readonly rate: number;
  private readonly burst: number;
  private readonly maxInFlight: number;
  private readonly now: () => number;

  constructor(options: RateLimiterOptions = {}) {
    this.rate = options.ratePerSec ?? 20;
    this.burst = options.burst ?? this.rate;
    this.maxInFlight = options.maxInFlight ?? 4;
    this.now = options.now ?? Date.now;
    this.tokens = this.burst;
    this.lastRefill = this.now();
  }

  get pending(): number {
    return this.waiters.length;
  }

  get active(): number {
    return this.inFlight;
  }

  /** Resolves with a release function once a request may start; call release when it finished. */
  acquire(): Promise<() => void> {
    if (this.closed) return Promise.reject(new RateLimiterClosedError());
    return new Promise((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      this.pump();
    });
  }

  /** No request starts before `untilMs` (extends, never shortens, an existing pause). */
  pauseUntil(untilMs: number): void {
    if (untilMs > this.pausedUntil) this.pausedUntil = untilMs;
    this.schedule(Math.max(0, this.pausedUntil - this.now()));
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const w of this.waiters.splice(0)) w.reject(new RateLimiterClosedError());
  }

  private pump(): void {
    if (this.closed) return;
    const now = this.now();
    if (now < this.pausedUntil) {
      this.schedule(this.pausedUntil - now);
      return;
    }
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.lastRefill) / 1000) * this.rate);
    this.lastRefill = now;
    while (this.waiters.length && this.inFlight < this.maxInFlight && this.tokens >= 1) {
      this.tokens -= 1;
      this.inFlight++;
      const w = this.waiters.shift() as (typeof this.waiters)[number];
      let released = false;
      w.resolve(() => {
        if (released) return;
        released = true;
        this.inFlight--;
        this.pump();
      });
    }
    if (this.waiters.length && this.inFlight < this.maxInFlight && this.tokens < 1) {
      this.schedule(Math.ceil(((1 - this.tokens) / this.rate) * 1000));
    }
  }

  private schedule(ms: number): void {
    if (this.timer || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.pump();
    }, ms);
  }
}
