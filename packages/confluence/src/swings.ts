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
  return { highs, lows };
}

export interface Level {
  readonly price: number;
  /** Pivots merged into this level. */
  readonly touches: number;
}

/**
 * Support/resistance levels: all swing prices sorted and merged single-linkage when neighbours are closer
 * than `tolerance` (the level is the mean of its members).
 */
export function clusterLevels(swings: Swings, tolerance: number): Level[] {
  const prices: number[] = [];
  for (const p of swings.highs) prices.push(p.price);
  for (const p of swings.lows) prices.push(p.price);
  prices.sort((a, b) => a - b);
  const levels: Level[] = [];
  let sum = 0;
  let count = 0;
  let prev = Number.NaN;
  for (const p of prices) {
    if (count > 0 && p - prev > tolerance) {
      levels.push({ price: sum / count, touches: count });
      sum = 0;
      count = 0;
    }
    sum += p;
    count++;
    prev = p;
  }
  if (count > 0) levels.push({ price: sum / count, touches: count });
  return levels;
}
