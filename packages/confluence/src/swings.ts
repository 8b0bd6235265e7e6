import type { Candle } from './types';

/** Swings are looked for over this many of the newest confirmed candles. */
export const SWING_LOOKBACK = 100;
/** A pivot needs this many candles on each side. */
export const SWING_SIDE = 2;

export interface Pivot {
  readonly index: number;
  readonly price: number;
}

export interface Swings {
  /** Swing highs, oldest first. */
  readonly highs: readonly Pivot[];
  /** Swing lows, oldest first. */
  readonly lows: readonly Pivot[];
  /** All swing prices, ascending. */
  readonly sortedPrices: Float64Array;
}

/**
 * Fractal pivots over the last SWING_LOOKBACK confirmed candles: a swing high is higher than the SWING_SIDE
 * highs before it and not lower than the SWING_SIDE highs after it; a swing low mirrors that on lows, so a
 * price-mirrored series swaps highs and lows exactly.
 */
export function findSwings(candles: readonly Candle[], confirmedCount: number): Swings {
  const k = SWING_SIDE;
  const from = Math.max(0, confirmedCount - SWING_LOOKBACK);
  const highs: Pivot[] = [];
  const lows: Pivot[] = [];
  for (let i = from + k; i <= confirmedCount - 1 - k; i++) {
    const h = candles[i].high;
    const l = candles[i].low;
    let isHigh = true;
    let isLow = true;
    for (let j = 1; j <= k; j++) {
      if (!(h > candles[i - j].high && h >= candles[i + j].high)) isHigh = false;
      if (!(l < candles[i - j].low && l <= candles[i + j].low)) isLow = false;
    }
    if (isHigh) highs.push({ index: i, price: h });
    if (isLow) lows.push({ index: i, price: l });
  }
  const sortedPrices = new Float64Array(highs.length + lows.length);
  let k2 = 0;
  for (const p of highs) sortedPrices[k2++] = p.price;
  for (const p of lows) sortedPrices[k2++] = p.price;
  sortedPrices.sort();
  return { highs, lows, sortedPrices };
}

export const NO_SWINGS: Swings = { highs: [], lows: [], sortedPrices: new Float64Array(0) };

/**
 * Support/resistance from swing clusters: all swing prices, ascending, are merged single-linkage when neighbours are
 * closer than `tolerance`; a cluster's level is the mean of its members. Returns the nearest level strictly below and
 * strictly above `price` (NaN when there is none).
 */
export function nearestLevels(swings: Swings, tolerance: number, price: number): { below: number; above: number } {
  const prices = swings.sortedPrices;
  let below = Number.NaN;
  let above = Number.NaN;
  let sum = 0;
  let count = 0;
  for (let i = 0; i <= prices.length; i++) {
    const p = i < prices.length ? prices[i] : Number.NaN;
    if (count > 0 && !(p - prices[i - 1] <= tolerance)) {
      const level = sum / count;
      if (level < price) below = level;
      else if (level > price) {
        above = level;
        break;
      }
      sum = 0;
      count = 0;
    }
    sum += p;
    count++;
  }
  return { below, above };
}
