/** Topic names of the Bybit v5 public linear stream that the intake subscribes to. */
export const BOOK_DEPTH = 50;
export const KLINE_INTERVALS = ['1', '5', '30', '240'] as const;

export const bookTopic = (symbol: string): string => `orderbook.${BOOK_DEPTH}.${symbol}`;

/** The eight topics per symbol, order fixed (tests and allocation rely on it being stable). */
export function topicsForSymbol(symbol: string): string[] {
  return [
    `tickers.${symbol}`,
    bookTopic(symbol),
    `publicTrade.${symbol}`,
    ...KLINE_INTERVALS.map((i) => `kline.${i}.${symbol}`),
    `allLiquidation.${symbol}`,
  ];
}

/** The symbol is the last dot-separated part of every topic we use. */
export function symbolOfTopic(topic: string): string {
  return topic.slice(topic.lastIndexOf('.') + 1);
}

/** Family used for per-topic counters: the part before the first dot. */
export function topicFamily(topic: string): string {
  const dot = topic.indexOf('.');
  return dot < 0 ? topic : topic.slice(0, dot);
}
