// Topic names of the Bybit v5 public linear stream, the kline intervals, and the topic parser that answers the way
// Bybit does (used by the simulator; the analyzer builds topics with the same helpers).

/** Kline intervals this project uses, as Bybit spells them (minutes; '240' is 4 h). */
export const KLINE_INTERVALS = ['1', '5', '30', '240'] as const;
export type KlineInterval = (typeof KLINE_INTERVALS)[number];

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;

/** Length of one candle of each interval, in ms. */
export const INTERVAL_MS: Readonly<Record<KlineInterval, number>> = {
  '1': MINUTE_MS,
  '5': 5 * MINUTE_MS,
  '30': 30 * MINUTE_MS,
  '240': 240 * MINUTE_MS,
};

export function isKlineInterval(value: string): value is KlineInterval {
  return (KLINE_INTERVALS as readonly string[]).includes(value);
}

/** Order-book depths Bybit offers on linear contracts. */
export const BOOK_DEPTHS = [1, 50, 200] as const;
export type BookDepth = (typeof BOOK_DEPTHS)[number];
/** The depth the analyzer subscribes to. */
export const BOOK_DEPTH: BookDepth = 50;

/** Topic families of the public linear stream (`liquidation` is Bybit's deprecated per-symbol feed). */
export const TOPIC_KINDS = ['orderbook', 'tickers', 'kline', 'publicTrade', 'allLiquidation'] as const;
export type TopicKind = (typeof TOPIC_KINDS)[number];

export const tickersTopic = (symbol: string): string => `tickers.${symbol}`;
export const bookTopic = (symbol: string, depth: BookDepth = BOOK_DEPTH): string => `orderbook.${depth}.${symbol}`;
export const tradeTopic = (symbol: string): string => `publicTrade.${symbol}`;
export const klineTopic = (interval: KlineInterval, symbol: string): string => `kline.${interval}.${symbol}`;
export const liquidationTopic = (symbol: string): string => `allLiquidation.${symbol}`;

/** The eight topics per symbol the analyzer subscribes to, order fixed (tests and allocation rely on it being stable). */
export function topicsForSymbol(symbol: string): string[] {
  return [tickersTopic(symbol), bookTopic(symbol), tradeTopic(symbol), ...KLINE_INTERVALS.map((i) => klineTopic(i, symbol)), liquidationTopic(symbol)];
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

export type Topic =
  | { readonly kind: 'orderbook'; readonly name: string; readonly symbol: string; readonly depth: BookDepth }
  | { readonly kind: 'tickers'; readonly name: string; readonly symbol: string }
  | { readonly kind: 'kline'; readonly name: string; readonly symbol: string; readonly interval: KlineInterval }
  | { readonly kind: 'publicTrade'; readonly name: string; readonly symbol: string }
  | { readonly kind: 'allLiquidation'; readonly name: string; readonly symbol: string };

export type TopicParse = { readonly ok: true; readonly topic: Topic } | { readonly ok: false; readonly reason: 'handler' | 'symbol' };

/** Bybit's rejection texts: an unknown topic shape vs. a well-formed topic for an unknown symbol. */
export function topicErrorMessage(name: string, reason: 'handler' | 'symbol'): string {
  return reason === 'symbol' ? `Invalid symbol :[${name}]` : `error:handler not found,topic:${name}`;
}

/** Parses a topic name the way Bybit validates a subscribe arg; `isSymbol` says which symbols exist. */
export function parseTopic(name: string, isSymbol: (symbol: string) => boolean): TopicParse {
  const parts = name.split('.');
  const symbol = parts[parts.length - 1] ?? '';
  const checkSymbol = (topic: Topic): TopicParse => (isSymbol(symbol) ? { ok: true, topic } : { ok: false, reason: 'symbol' });
  switch (parts[0]) {
    case 'orderbook': {
      const depth = Number(parts[1]);
      if (parts.length !== 3 || !(BOOK_DEPTHS as readonly number[]).includes(depth)) return { ok: false, reason: 'handler' };
      return checkSymbol({ kind: 'orderbook', name, symbol, depth: depth as BookDepth });
    }
    case 'kline': {
      const interval = parts[1] ?? '';
      if (parts.length !== 3 || !isKlineInterval(interval)) return { ok: false, reason: 'handler' };
      return checkSymbol({ kind: 'kline', name, symbol, interval });
    }
    case 'tickers':
    case 'publicTrade':
    case 'allLiquidation':
      if (parts.length !== 2) return { ok: false, reason: 'handler' };
      return checkSymbol({ kind: parts[0], name, symbol });
    default:
      return { ok: false, reason: 'handler' };
  }
}
