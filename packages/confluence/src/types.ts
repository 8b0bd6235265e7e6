import type { ComponentName, Timeframe } from '@confluence/contracts';
import type { BookFeatures } from './components/orderbook';
import type { TradeColumns } from './trades';

export type { BookFeatures };

/** One OHLCV candle. `start` is the candle's open time (ms). */
export interface Candle {
  readonly start: number;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  readonly volume: number;
  readonly turnover: number;
  /** False for the forming (not yet closed) candle, which may only be the last element. */
  readonly confirmed: boolean;
}

/** [price, size] */
export type BookLevel = readonly [number, number];

export interface BookSnapshot {
  /** Bids, best (highest) first. */
  readonly bids: readonly BookLevel[];
  /** Asks, best (lowest) first. */
  readonly asks: readonly BookLevel[];
  /** Exchange time of the last applied update (ms). */
  readonly ts: number;
  /** False while the book is resyncing after a gap or a crossed state: its measures must not be used. */
  readonly synced: boolean;
}

export interface Trade {
  readonly ts: number;
  readonly price: number;
  readonly size: number;
  /** Taker (aggressor) side. */
  readonly side: 'Buy' | 'Sell';
}

export interface Liquidation {
  readonly ts: number;
  readonly price: number;
  readonly size: number;
  /** Bybit's meaning: 'Buy' = a long position was liquidated, 'Sell' = a short position was liquidated. */
  readonly side: 'Buy' | 'Sell';
}

export interface TickerState {
  readonly lastPrice: number | undefined;
  readonly markPrice: number | undefined;
  readonly indexPrice: number | undefined;
  /** 24 h change as a fraction (0.0123 = +1.23 %), as Bybit sends `price24hPcnt`. */
  readonly price24hPcnt: number | undefined;
  readonly turnover24h: number | undefined;
  readonly volume24h: number | undefined;
  readonly openInterest: number | undefined;
  readonly openInterestValue: number | undefined;
  readonly fundingRate: number | undefined;
  readonly nextFundingTime: number | undefined;
  readonly bid1Price: number | undefined;
  readonly ask1Price: number | undefined;
  readonly ts: number;
}

export interface OpenInterestPoint {
  readonly ts: number;
  readonly openInterest: number;
}

export interface LongShortPoint {
  readonly ts: number;
  /** Share of accounts long, 0..1. */
  readonly buyRatio: number;
  readonly sellRatio: number;
}

export interface FundingPoint {
  readonly ts: number;
  readonly rate: number;
}

/** Everything the engine may look at for one symbol. Arrays are oldest first. */
export interface MarketSnapshot {
  readonly symbol: string;
  /** Candles per timeframe, oldest first; the last one may be forming. */
  readonly candles: Readonly<Record<Timeframe, readonly Candle[]>>;
  readonly book: BookSnapshot | undefined;
  /**
   * Recent trades as columns, oldest first (the intake keeps a bounded window, e.g. the last 15 minutes / 5,000
   * trades). `tradeColumns(trades)` builds them from trade objects.
   */
  readonly trades: TradeColumns;
  readonly ticker: TickerState | undefined;
  /** Funding history (REST), oldest first; the live rate is in the ticker. */
  readonly funding: readonly FundingPoint[];
  /** Open interest history (REST 5-min points plus live ticker samples), oldest first. */
  readonly openInterest: readonly OpenInterestPoint[];
  readonly longShort: readonly LongShortPoint[];
  readonly liquidations: readonly Liquidation[];
  /** Book spread samples in bps over the recent past (for spread stability), oldest first. */
  readonly spreadHistoryBps: readonly number[];
  /**
   * The book's measures (`bookFeaturesOf`) sampled about once a second, oldest first. The engine averages the
   * samples of the last 60 s with the current book, so one flickering level does not swing the score.
   */
  readonly bookHistory?: readonly BookFeatures[];
  /**
   * Minutes between funding settlements (Bybit `fundingInterval` of instruments-info, or the ticker's
   * `fundingIntervalHour` × 60): 480 for most, 240 or 60 for some. The engine scores funding per 8 hours.
   */
  readonly fundingIntervalMinutes?: number;
  /**
   * Exchange time of the newest liquidation the intake received on any symbol of the feed; undefined when the
   * liquidation feed has not delivered anything yet. "No liquidations" is only evidence when the feed is live.
   */
  readonly liquidationFeedLastEventAt?: number;
}

export type ComponentWeights = Readonly<Record<ComponentName, number>>;
export type TimeframeWeights = Readonly<Record<Timeframe, number>>;
