import type { Candle } from '@confluence/confluence';

export const CANDLES_PER_TIMEFRAME = 300;

/**
 * Candles of one timeframe: a bounded, start-sorted list of closed candles plus at most one forming candle.
 * - WS update (confirm false) replaces the forming candle; a newer forming candle closes the previous one (a missed confirm).
 * - WS confirm closes the candle.
 * - REST backfill merges by `start`: closed REST candles replace closed ones with the same start; the REST candle still
 *   forming (start + interval > now) only fills in when no live forming candle exists (the live one is fresher).
 */
export class CandleSeries {
  private closed: Candle[] = [];
  private forming: Candle | undefined;
  private cached: readonly Candle[] | undefined = [];

  constructor(
    readonly intervalMs: number,
    readonly capacity = CANDLES_PER_TIMEFRAME,
  ) {}

  get size(): number {
    return this.closed.length + (this.forming ? 1 : 0);
  }

  lastClosed(): Candle | undefined {
    return this.closed[this.closed.length - 1];
  }

  current(): Candle | undefined {
    return this.forming ?? this.lastClosed();
  }

  /** A live (WebSocket) candle. */
  applyLive(c: Candle): void {
    if (c.confirmed) {
      if (this.forming && this.forming.start <= c.start) this.forming = undefined;
      this.upsertClosed(c);
      return;
    }
    const last = this.lastClosed();
    if (last && c.start <= last.start) return; // already closed: a late update must not reopen it
    if (this.forming && c.start < this.forming.start) return;
    if (this.forming && c.start > this.forming.start) this.upsertClosed({ ...this.forming, confirmed: true });
    this.forming = c;
    this.cached = undefined;
  }

  /**
   * REST candles (any order). A candle is closed if flagged so (the REST client judges by the answer's server time,
   * which a replay reproduces exactly) or if its interval ended before `now`; otherwise it is forming.
   */
  mergeBackfill(candles: readonly Candle[], now: number): void {
    const sorted = [...candles].sort((a, b) => a.start - b.start);
    for (const c of sorted) {
      if (c.confirmed || c.start + this.intervalMs <= now) {
        if (this.forming && this.forming.start <= c.start) this.forming = undefined;
        this.upsertClosed(c.confirmed ? c : { ...c, confirmed: true });
      } else if (!this.forming) {
        const last = this.lastClosed();
        if (!last || c.start > last.start) {
          this.forming = c;
          this.cached = undefined;
        }
      } else if (c.start > this.forming.start) {
        this.upsertClosed({ ...this.forming, confirmed: true });
        this.forming = c;
        this.cached = undefined;
      }
    }
  }

  clear(): void {
    this.closed = [];
    this.forming = undefined;
    this.cached = [];
  }

  /** Oldest first; the last element may be forming. Built once per change and shared. */
  view(): readonly Candle[] {
    if (this.cached) return this.cached;
    const out = this.forming ? [...this.closed, this.forming] : this.closed.slice();
    this.cached = out;
    return out;
  }

  private upsertClosed(c: Candle): void {
    this.cached = undefined;
    const list = this.closed;
    const n = list.length;
    if (n === 0 || list[n - 1].start < c.start) {
      list.push(c);
    } else {
      let lo = 0;
      let hi = n;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (list[mid].start < c.start) lo = mid + 1;
        else hi = mid;
      }
      if (lo < n && list[lo].start === c.start) list[lo] = c;
      else list.splice(lo, 0, c);
    }
    // One slot is left for the forming candle so the view never exceeds `capacity`.
    const max = this.capacity - 1;
    if (list.length > max) list.splice(0, list.length - max);
  }
}
