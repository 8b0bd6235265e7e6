export * from './market-store';
export { OrderBook, type BookApplyResult, type BookUnsyncedReason } from './order-book';
export { CandleSeries, CANDLES_PER_TIMEFRAME } from './candles';
export { TickerMerger } from './ticker';
export { TimeWindow, TradeWindow, LiquidationWindow } from './trades';
export { TimeSeries } from './series';
export { Ring } from './ring';
