import type { Timeframe } from '@confluence/contracts';
import type { EngineConfig } from './config';
import type { TfData } from './series';
import type { TradeColumns, TradeStats } from './trades';
import type { Candle, MarketSnapshot } from './types';

/** What every component gets: the snapshot, `now`, the config, and lazily computed shared measures. */
export interface Context {
  readonly snapshot: MarketSnapshot;
  readonly now: number;
  readonly config: EngineConfig;
  /** Indicator values of one timeframe; throws if they could not be computed. */
  tf(tf: Timeframe): TfData;
  /** Like `tf` but null instead of throwing (for optional normalisers). */
  tfOrNull(tf: Timeframe): TfData | null;
  trades(): TradeStats;
  /** The snapshot's trades from `now − 15 min` on (see TradeColumns). */
  tape(): TradeColumns;
}

/** Close of the newest candle that had closed by time `t`; the first candle's open when `t` precedes them all; null without candles. */
export function priceAt(candles: readonly Candle[], tfMs: number, t: number): number | null {
  if (candles.length === 0) return null;
  let lo = 0;
  let hi = candles.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (candles[mid].start + tfMs <= t) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found >= 0 ? candles[found].close : candles[0].open;
}
