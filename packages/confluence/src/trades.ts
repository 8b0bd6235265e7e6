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
  /** Index of the oldest trade inside the long window. */
  readonly longStart: number;
}

function emptyWindow(): FlowWindow {
  return { buy: 0, sell: 0, count: 0, firstPrice: Number.NaN, lastPrice: Number.NaN, minPrice: Number.POSITIVE_INFINITY, maxPrice: Number.NEGATIVE_INFINITY };
}

function add(w: FlowWindow, t: Trade): void {
  if (t.side === 'Buy') w.buy += t.size;
  else w.sell += t.size;
  // Walking newest to oldest: the first visit is the newest trade, the last visit the oldest.
  if (w.count === 0) w.lastPrice = t.price;
  w.firstPrice = t.price;
  if (t.price < w.minPrice) w.minPrice = t.price;
  if (t.price > w.maxPrice) w.maxPrice = t.price;
  w.count++;
}

/** One backward pass over the trades (oldest first) for the three flow windows, then one over the long window for large trades. */
export function tradeStats(trades: readonly Trade[], now: number): TradeStats {
  const recent = emptyWindow();
  const medium = emptyWindow();
  const long = emptyWindow();
  const tRecent = now - RECENT_WINDOW_MS;
  const tMedium = now - MEDIUM_WINDOW_MS;
  const tLong = now - LONG_WINDOW_MS;
  let i = trades.length - 1;
  let sizeSum = 0;
  for (; i >= 0; i--) {
    const t = trades[i];
    if (t.ts < tLong) break;
    add(long, t);
    sizeSum += t.size;
    if (t.ts >= tMedium) {
      add(medium, t);
      if (t.ts >= tRecent) add(recent, t);
    }
  }
  const longStart = i + 1;
  const meanSize = long.count > 0 ? sizeSum / long.count : 0;
  const threshold = LARGE_TRADE_FACTOR * meanSize;
  let largeBuy = 0;
  let largeSell = 0;
  let largeCount = 0;
  if (meanSize > 0) {
    for (let j = longStart; j < trades.length; j++) {
      const t = trades[j];
      if (t.size >= threshold) {
        largeCount++;
        if (t.side === 'Buy') largeBuy += t.size;
        else largeSell += t.size;
      }
    }
  }
  return { total: trades.length, recent, medium, long, meanSize, largeBuy, largeSell, largeCount, longStart };
}
