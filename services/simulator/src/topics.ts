// Topic names of the public linear stream, parsed and validated the way Bybit answers them.
import { isKlineInterval, type KlineInterval } from './history';

export const BOOK_DEPTHS = [1, 50, 200] as const;
export type BookDepth = (typeof BOOK_DEPTHS)[number];

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
