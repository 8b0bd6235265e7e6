// Live candle keeping after start: the candle in progress, a capped list of closed candles, and
// the rolling 24 h statistics a ticker needs.
import type { CandleValues } from './history';

/** Closed live candles, oldest first, capped so memory stays bounded on long runs. */
export class ClosedCandles {
  private readonly items: CandleValues[] = [];

  constructor(private readonly capacity: number) {}

  push(candle: CandleValues): void {
    this.items.push(candle);
    if (this.items.length > this.capacity) this.items.shift();
  }

  get length(): number {
    return this.items.length;
  }

  /** i = 0 is the oldest. */
  at(i: number): CandleValues {
    return this.items[i];
  }

  get oldestStart(): number | undefined {
    return this.items[0]?.start;
  }
}

export function emptyCandle(start: number, price: number): CandleValues {
  return { start, open: price, high: price, low: price, close: price, volume: 0, turnover: 0 };
}

export function applyTrade(c: CandleValues, priceTicks: number, units: number, quote: number): void {
  // An empty candle opens at the previous close (as Bybit's do), so the range includes it.
  if (priceTicks > c.high) c.high = priceTicks;
  if (priceTicks < c.low) c.low = priceTicks;
  c.close = priceTicks;
  c.volume += units;
  c.turnover += quote;
}

const DAY_MINUTES = 1440;

/**
 * The last 24 h of closed one-minute candles in a ring of typed arrays; aggregates are rescanned
 * once a minute (1440 numbers, microseconds), which is cheaper than maintaining monotonic deques.
 */
export class RollingDay {
  private readonly open = new Float64Array(DAY_MINUTES);
  private readonly high = new Float64Array(DAY_MINUTES);
  private readonly low = new Float64Array(DAY_MINUTES);
  private readonly volume = new Float64Array(DAY_MINUTES);
  private readonly turnover = new Float64Array(DAY_MINUTES);
  private head = 0;
  private count = 0;
  high24h = 0;
  low24h = Number.POSITIVE_INFINITY;
  volume24h = 0;
  turnover24h = 0;
  prevPrice24h = 0;
  prevPrice1h = 0;

  /** Adds many candles (oldest first) and recomputes once. */
  pushAll(candles: readonly CandleValues[]): void {
    for (const c of candles) this.write(c);
    this.recompute();
  }

  push(c: CandleValues): void {
    this.write(c);
    this.recompute();
  }

  private write(c: CandleValues): void {
    this.open[this.head] = c.open;
    this.high[this.head] = c.high;
    this.low[this.head] = c.low;
    this.volume[this.head] = c.volume;
    this.turnover[this.head] = c.turnover;
    this.head = (this.head + 1) % DAY_MINUTES;
    this.count = Math.min(DAY_MINUTES, this.count + 1);
  }

  private recompute(): void {
    let hi = 0;
    let lo = Number.POSITIVE_INFINITY;
    let vol = 0;
    let turn = 0;
    for (let i = 0; i < this.count; i++) {
      if (this.high[i] > hi) hi = this.high[i];
      if (this.low[i] < lo) lo = this.low[i];
      vol += this.volume[i];
      turn += this.turnover[i];
    }
    this.high24h = hi;
    this.low24h = lo;
    this.volume24h = vol;
    this.turnover24h = turn;
    const oldest = this.count < DAY_MINUTES ? 0 : this.head;
    this.prevPrice24h = this.open[oldest];
    const hourAgo = (this.head - Math.min(60, this.count) + DAY_MINUTES) % DAY_MINUTES;
    this.prevPrice1h = this.open[hourAgo];
  }
}
