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

/**
 * Trades as parallel columns, oldest first: entries `head ≤ i < tail` of the arrays. This is how the intake holds
 * them (no object per trade) and what the engine scans; nothing here is ever written through a TradeColumns.
 * Holders may append beyond `tail` or allocate new arrays, but never change entries a published view covers.
 */
export interface TradeColumns {
  readonly ts: Float64Array;
  readonly price: Float64Array;
  readonly size: Float64Array;
  /** 1 = buy aggressor, 0 = sell (multiplied in, so sums need no branch). */
  readonly buy: Uint8Array;
  readonly head: number;
  readonly tail: number;
}

export const EMPTY_TRADES: TradeColumns = Object.freeze({
  ts: new Float64Array(0),
  price: new Float64Array(0),
  size: new Float64Array(0),
  buy: new Uint8Array(0),
  head: 0,
  tail: 0,
});

/** Columns holding exactly `trades` (for tests, fixtures and callers that have trade objects). */
export function tradeColumns(trades: readonly Trade[]): TradeColumns {
  const n = trades.length;
  const ts = new Float64Array(n);
  const price = new Float64Array(n);
  const size = new Float64Array(n);
  const buy = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const t = trades[i];
    ts[i] = t.ts;
    price[i] = t.price;
    size[i] = t.size;
    buy[i] = t.side === 'Buy' ? 1 : 0;
  }
  return { ts, price, size, buy, head: 0, tail: n };
}

export function tradeCount(c: TradeColumns): number {
  return c.tail - c.head;
}

/** Timestamp of the newest trade, or undefined without trades. */
export function newestTradeTs(c: TradeColumns): number | undefined {
  return c.tail > c.head ? c.ts[c.tail - 1] : undefined;
}

/** The trade at position i (0 = oldest) as an object; for tests and diagnostics, not for hot loops. */
export function tradeAt(c: TradeColumns, i: number): Trade | undefined {
  const k = c.head + i;
  if (i < 0 || k >= c.tail) return undefined;
  return { ts: c.ts[k], price: c.price[k], size: c.size[k], side: c.buy[k] === 1 ? 'Buy' : 'Sell' };
}

/** The same columns from the first trade stamped ≥ `cutoff` on (the store keeps them oldest first). */
export function tradesSince(c: TradeColumns, cutoff: number): TradeColumns {
  let h = c.head;
  while (h < c.tail && c.ts[h] < cutoff) h++;
  return h === c.head ? c : { ts: c.ts, price: c.price, size: c.size, buy: c.buy, head: h, tail: c.tail };
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
    // biome-ignore lint/complexity/useMathMinMax: a NaN price is skipped here, where Math.min would make the whole range NaN
    min = p < min ? p : min;
    // biome-ignore lint/complexity/useMathMinMax: as above, for the maximum
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
export function tradeStats(tape: TradeColumns, total: number, now: number): TradeStats {
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
  const long = flow(
    a.buy + mb,
    a.sell + ms,
    tail - head,
    head < tail ? price[head] : Number.NaN,
    last,
    Math.min(a.min, b.min, c.min),
    Math.max(a.max, b.max, c.max),
  );
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
