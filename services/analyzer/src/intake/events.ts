import { INTERVAL_MS, type KlineInterval } from '@confluence/bybit-wire';
import type { Timeframe } from '@confluence/contracts';

/**
 * Normalized market events: exchange-independent, readonly, tagged by `type`.
 * `ts` is the exchange time (ms) of the record, `recvTs` the local receive time (ms; in replay the recorded receive time).
 * A missing optional number is `undefined`, never NaN.
 */
export interface TradeEvent {
  readonly type: 'trade';
  readonly symbol: string;
  readonly ts: number;
  readonly recvTs: number;
  readonly price: number;
  readonly size: number;
  /** Taker (aggressor) side. */
  readonly side: 'Buy' | 'Sell';
  readonly id: string;
  /** `BT`: a block trade (negotiated off the book, printed on the tape); not aggressor flow. */
  readonly blockTrade?: boolean;
  /** `RPI`: filled against a Retail Price Improvement order (hidden from the public book); not ordinary flow. */
  readonly rpi?: boolean;
  /** `seq`: the cross sequence (orders trades, books and tickers of one symbol). */
  readonly seq?: number;
  /** `L`: tick direction (PlusTick, ZeroPlusTick, MinusTick, ZeroMinusTick). */
  readonly tickDirection?: string;
}

interface BookEventBase {
  readonly symbol: string;
  /** Depth of the subscribed stream (the N of `orderbook.N.SYMBOL`). */
  readonly depth: number;
  readonly ts: number;
  readonly recvTs: number;
  /**
   * Flattened levels `[price, size, price, size, …]` (cheaper than one array per level); size 0 deletes in a delta. An
   * array from the normalizer, a view into the batch buffer when the event crossed from the intake thread.
   */
  readonly bids: ArrayLike<number>;
  readonly asks: ArrayLike<number>;
  /** Update id: +1 per update; 1 means the service restarted and this message overwrites the book. */
  readonly u: number;
  readonly seq: number | undefined;
}

export interface BookSnapshotEvent extends BookEventBase {
  readonly type: 'book_snapshot';
}

export interface BookDeltaEvent extends BookEventBase {
  readonly type: 'book_delta';
}

/** Ticker numbers; a delta carries only the fields Bybit sent. */
export interface TickerFields {
  lastPrice?: number;
  markPrice?: number;
  indexPrice?: number;
  price24hPcnt?: number;
  prevPrice24h?: number;
  highPrice24h?: number;
  lowPrice24h?: number;
  prevPrice1h?: number;
  turnover24h?: number;
  volume24h?: number;
  openInterest?: number;
  openInterestValue?: number;
  fundingRate?: number;
  nextFundingTime?: number;
  /** Hours between funding settlements (2026 ticker field). */
  fundingIntervalHour?: number;
  bid1Price?: number;
  bid1Size?: number;
  ask1Price?: number;
  ask1Size?: number;
}

export const TICKER_FIELDS = [
  'lastPrice',
  'markPrice',
  'indexPrice',
  'price24hPcnt',
  'prevPrice24h',
  'highPrice24h',
  'lowPrice24h',
  'prevPrice1h',
  'turnover24h',
  'volume24h',
  'openInterest',
  'openInterestValue',
  'fundingRate',
  'nextFundingTime',
  'fundingIntervalHour',
  'bid1Price',
  'bid1Size',
  'ask1Price',
  'ask1Size',
] as const satisfies readonly (keyof TickerFields)[];

export interface TickerEvent {
  readonly type: 'ticker';
  readonly symbol: string;
  readonly kind: 'snapshot' | 'delta';
  readonly ts: number;
  readonly recvTs: number;
  readonly fields: Readonly<TickerFields>;
}

export interface CandleEvent {
  readonly type: 'candle';
  readonly symbol: string;
  readonly timeframe: Timeframe;
  readonly ts: number;
  readonly recvTs: number;
  readonly start: number;
  readonly end: number;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  readonly volume: number;
  readonly turnover: number;
  /** True when this message closes the candle. */
  readonly confirmed: boolean;
}

export interface LiquidationEvent {
  readonly type: 'liquidation';
  readonly symbol: string;
  readonly ts: number;
  readonly recvTs: number;
  readonly price: number;
  readonly size: number;
  /** Bybit's meaning: 'Buy' = a long position was liquidated. */
  readonly side: 'Buy' | 'Sell';
}

export interface SubscribeAckEvent {
  readonly type: 'subscribe_ack';
  readonly op: 'subscribe' | 'unsubscribe';
  readonly success: boolean;
  readonly retMsg: string;
  readonly reqId: string | undefined;
  readonly connId: string | undefined;
  readonly recvTs: number;
}

export interface PongEvent {
  readonly type: 'pong';
  readonly reqId: string | undefined;
  readonly recvTs: number;
}

export type DataEvent = TradeEvent | BookSnapshotEvent | BookDeltaEvent | TickerEvent | CandleEvent | LiquidationEvent;
export type ControlEvent = SubscribeAckEvent | PongEvent;
export type MarketEvent = DataEvent | ControlEvent;

export function isControlEvent(ev: MarketEvent): ev is ControlEvent {
  return ev.type === 'subscribe_ack' || ev.type === 'pong';
}

/** Kline interval on the wire ↔ engine timeframe. */
export const INTERVAL_TO_TIMEFRAME: Readonly<Record<string, Timeframe>> = { '1': '1m', '5': '5m', '30': '30m', '240': '4h' } satisfies Record<
  KlineInterval,
  Timeframe
>;
export const TIMEFRAME_TO_INTERVAL: Readonly<Record<Timeframe, KlineInterval>> = { '1m': '1', '5m': '5', '30m': '30', '4h': '240' };
/** Candle length per timeframe, from the wire contract's interval table. */
export const TIMEFRAME_MS: Readonly<Record<Timeframe, number>> = {
  '1m': INTERVAL_MS[TIMEFRAME_TO_INTERVAL['1m']],
  '5m': INTERVAL_MS[TIMEFRAME_TO_INTERVAL['5m']],
  '30m': INTERVAL_MS[TIMEFRAME_TO_INTERVAL['30m']],
  '4h': INTERVAL_MS[TIMEFRAME_TO_INTERVAL['4h']],
};
