// REST market endpoints under /v5/market/*, answered in Bybit's envelope. Parameter problems are
// HTTP 200 with retCode 10001, like the real API; the handlers are pure functions of the market.
import { HOUR_MS, isKlineInterval, MINUTE_MS, REST_MARKET_PREFIX } from '@confluence/bybit-wire';
import { formatTrimmed } from './decimal';
import type { RestFaultHit } from './faults';
import type { Market } from './market';
import { BOOK_DEPTH, type SeriesPoint, type SymbolMarket } from './symbol-market';
import { envelope, formatPrice, formatQty, klineRow, tickerWire, toInstrumentInfo } from './encoder';

export interface RestResponse {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
  readonly headers?: Readonly<Record<string, string>>;
}

export const REST_PREFIX = REST_MARKET_PREFIX;

class ParamError extends Error {
  constructor(
    message: string,
    readonly retCode = 10001,
  ) {
    super(message);
  }
}

const SERIES_INTERVALS: Readonly<Record<string, number>> = {
  '5min': 5 * MINUTE_MS,
  '15min': 15 * MINUTE_MS,
  '30min': 30 * MINUTE_MS,
  '1h': HOUR_MS,
  '4h': 4 * HOUR_MS,
  '1d': 24 * HOUR_MS,
};

const RET_MESSAGES: Readonly<Record<number, string>> = {
  10000: 'Server Timeout',
  10001: 'params error',
  10006: 'Too many visits. Exceeded the API Rate Limit.',
  10016: 'Server error.',
  10029: 'The requested symbol is invalid.',
};

function json(status: number, value: unknown, headers?: Record<string, string>): RestResponse {
  return { status, contentType: 'application/json', body: JSON.stringify(value), headers };
}

export function handleMarketRequest(path: string, query: URLSearchParams, market: Market, now: number): RestResponse {
  const endpoint = path.slice(REST_PREFIX.length);
  const handler = HANDLERS[endpoint];
  if (handler === undefined) return { status: 404, contentType: 'text/plain', body: '404 page not found' };
  try {
    return json(200, envelope(handler(query, market, now), now));
  } catch (err) {
    if (err instanceof ParamError) return json(200, envelope({}, now, err.retCode, err.message));
    throw err;
  }
}

/** What a CDN in front of Bybit answers a request from a blocked region with (an HTML page, not JSON). */
export const GEO_BLOCK_PAGE =
  '<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01 Transitional//EN" "http://www.w3.org/TR/html4/loose.dtd">\n' +
  '<HTML><HEAD><META HTTP-EQUIV="Content-Type" CONTENT="text/html; charset=iso-8859-1">\n<TITLE>ERROR: The request could not be satisfied</TITLE>\n</HEAD><BODY>\n' +
  '<H1>403 ERROR</H1>\n<H2>The request could not be satisfied.</H2>\n<HR noshade size="1px">\n' +
  'The Amazon CloudFront distribution is configured to block access from your country.\n' +
  'We can\'t connect to the server for this app or website at this time.\n<BR clear="all">\n</BODY></HTML>';

/** The answer for an injected REST fault: an HTTP error status, or HTTP 200 with a retCode. */
export function faultResponse(hit: RestFaultHit, now: number): RestResponse {
  if (hit.geoBlock === true) return { status: 403, contentType: 'text/html', body: GEO_BLOCK_PAGE };
  if (hit.status !== undefined && hit.status !== 200) {
    const text = hit.status === 403 ? 'access too frequent' : hit.status === 429 ? 'Too Many Requests' : 'Internal Server Error';
    return { status: hit.status, contentType: 'text/plain', body: text };
  }
  const headers: Record<string, string> =
    hit.retCode === 10006 ? { 'X-Bapi-Limit': '600', 'X-Bapi-Limit-Status': '0', 'X-Bapi-Limit-Reset-Timestamp': String(now + 5000) } : {};
  return json(200, envelope({}, now, hit.retCode, RET_MESSAGES[hit.retCode] ?? 'error'), headers);
}

type Handler = (q: URLSearchParams, market: Market, now: number) => unknown;

const HANDLERS: Readonly<Record<string, Handler>> = {
  time: (_q, _m, now) => ({ timeSecond: String(Math.floor(now / 1000)), timeNano: `${now}000000` }),

  'instruments-info': (q, market) => {
    requireLinear(q);
    const limit = intParam(q, 'limit', 1, 1000, 500);
    const symbol = q.get('symbol');
    const status = q.get('status');
    const baseCoin = q.get('baseCoin');
    const after = parseInstrumentCursor(q.get('cursor'));
    const matching = market.universe.listed.filter(
      (i) => (symbol === null || i.symbol === symbol) && (status === null || market.statusOf(i) === status) && (baseCoin === null || i.baseCoin === baseCoin),
    );
    const remaining = after === undefined ? matching : matching.filter((i) => i.symbol > after);
    const page = remaining.slice(0, limit);
    const more = remaining.length > page.length;
    const first = page[0]?.symbol ?? '';
    const last = page[page.length - 1]?.symbol ?? '';
    return {
      category: 'linear',
      list: page.map((i) => toInstrumentInfo(i, market.statusOf(i))),
      nextPageCursor: more ? encodeURIComponent(`first=${first}&last=${last}`) : '',
    };
  },

  tickers: (q, market) => {
    requireLinear(q);
    const symbol = q.get('symbol');
    const markets = symbol === null ? market.markets : [requireSymbol(market, symbol)];
    return { category: 'linear', list: markets.map((m) => tickerWire(m.spec, m.ticker())) };
  },

  kline: (q, market) => {
    requireLinear(q);
    const m = requireSymbol(market, requireParam(q, 'symbol'));
    const interval = requireParam(q, 'interval');
    if (!isKlineInterval(interval)) throw new ParamError(`Invalid interval: ${interval} (simulator serves 1, 5, 30, 240)`);
    const limit = intParam(q, 'limit', 1, 1000, 200);
    const { start, end } = timeRange(q, 'start', 'end');
    const list = m.klines(interval, start, end, limit).map((c) => klineRow(m.spec, c));
    return { symbol: m.symbol, category: 'linear', list };
  },

  orderbook: (q, market, now) => {
    requireLinear(q);
    const m = requireSymbol(market, requireParam(q, 'symbol'));
    const limit = Math.min(BOOK_DEPTH, intParam(q, 'limit', 1, 1000, 25));
    const level = (l: { tick: number; units: number }): [string, string] => [formatPrice(m.spec, l.tick), formatQty(m.spec, l.units)];
    return {
      s: m.symbol,
      b: m.book.bids.slice(0, limit).map(level),
      a: m.book.asks.slice(0, limit).map(level),
      ts: now,
      u: m.bookVersion,
      seq: m.crossSeq,
      cts: now - 2,
    };
  },

  'recent-trade': (q, market) => {
    requireLinear(q);
    const m = requireSymbol(market, requireParam(q, 'symbol'));
    const limit = intParam(q, 'limit', 1, 1000, 500);
    return {
      category: 'linear',
      list: m.recentTrades(limit).map((t) => ({
        execId: t.id,
        symbol: m.symbol,
        price: formatPrice(m.spec, t.priceTicks),
        size: formatQty(m.spec, t.units),
        side: t.side,
        time: String(t.time),
        isBlockTrade: t.blockTrade,
        isRPITrade: t.rpi,
        seq: String(t.seq),
      })),
    };
  },

  'open-interest': (q, market, now) => {
    requireLinear(q);
    const m = requireSymbol(market, requireParam(q, 'symbol'));
    const intervalMs = seriesInterval(q, 'intervalTime');
    const limit = intParam(q, 'limit', 1, 200, 50);
    const { points, nextPageCursor } = pagedSeries(q, now, limit, (until, from, n) => m.openInterestSeries(intervalMs, until, from, n));
    return {
      symbol: m.symbol,
      category: 'linear',
      list: points.map((p) => ({ openInterest: p.value.toFixed(8), timestamp: String(p.time) })),
      nextPageCursor,
    };
  },

  'account-ratio': (q, market, now) => {
    requireLinear(q);
    const m = requireSymbol(market, requireParam(q, 'symbol'));
    const intervalMs = seriesInterval(q, 'period');
    const limit = intParam(q, 'limit', 1, 500, 50);
    const { points, nextPageCursor } = pagedSeries(q, now, limit, (until, from, n) => m.buyRatioSeries(intervalMs, until, from, n));
    return {
      list: points.map((p) => {
        const buy = Math.round(p.value * 10000);
        return { symbol: m.symbol, buyRatio: (buy / 10000).toFixed(4), sellRatio: ((10000 - buy) / 10000).toFixed(4), timestamp: String(p.time) };
      }),
      nextPageCursor,
    };
  },

  'funding/history': (q, market, now) => {
    requireLinear(q);
    const m = requireSymbol(market, requireParam(q, 'symbol'));
    const limit = intParam(q, 'limit', 1, 200, 200);
    const { start, end } = timeRange(q, 'startTime', 'endTime');
    const points = m.fundingSeries(Math.min(end ?? now, now), start, limit);
    return {
      category: 'linear',
      list: points.map((p) => ({ symbol: m.symbol, fundingRate: formatTrimmed(p.value, 8), fundingRateTimestamp: String(p.time) })),
    };
  },
};

function requireLinear(q: URLSearchParams): void {
  const category = q.get('category');
  if (category === null || category === '') throw new ParamError('params error: category is required');
  if (category !== 'linear') throw new ParamError(`params error: category ${category} is not served by the simulator (linear only)`);
}

function requireParam(q: URLSearchParams, name: string): string {
  const v = q.get(name);
  if (v === null || v === '') throw new ParamError(`params error: ${name} is required`);
  return v;
}

function requireSymbol(market: Market, symbol: string): SymbolMarket {
  const m = market.get(symbol);
  if (m === undefined) throw new ParamError('params error: Not supported symbols');
  return m;
}

function intParam(q: URLSearchParams, name: string, min: number, max: number, fallback: number): number {
  const raw = q.get(name);
  if (raw === null || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new ParamError(`params error: ${name} must be an integer in [${min}, ${max}]`);
  return n;
}

function optionalTime(q: URLSearchParams, name: string): number | undefined {
  const raw = q.get(name);
  if (raw === null || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new ParamError(`params error: ${name} must be a timestamp in ms`);
  return n;
}

function timeRange(q: URLSearchParams, startName: string, endName: string): { start?: number; end?: number } {
  const start = optionalTime(q, startName);
  const end = optionalTime(q, endName);
  if (start !== undefined && end !== undefined && start > end) throw new ParamError(`params error: ${startName} must not be after ${endName}`);
  return { start, end };
}

function seriesInterval(q: URLSearchParams, name: string): number {
  const v = requireParam(q, name);
  const ms = SERIES_INTERVALS[v];
  if (ms === undefined) throw new ParamError(`params error: ${name} must be one of ${Object.keys(SERIES_INTERVALS).join(', ')}`);
  return ms;
}

/** Cursor pages walk back in time: the cursor is the newest timestamp of the next page. */
function pagedSeries(
  q: URLSearchParams,
  now: number,
  limit: number,
  fetch: (until: number, from: number | undefined, n: number) => SeriesPoint[],
): { points: SeriesPoint[]; nextPageCursor: string } {
  const { start, end } = timeRange(q, 'startTime', 'endTime');
  let until = Math.min(end ?? now, now);
  const cursor = q.get('cursor');
  if (cursor !== null && cursor !== '') {
    const t = Number(decodeOnce(cursor).replace(/^cursor=/, ''));
    if (!Number.isInteger(t) || t < 0) throw new ParamError('params error: invalid cursor');
    until = Math.min(until, t);
  }
  const fetched = fetch(until, start, limit + 1);
  const points = fetched.slice(0, limit);
  const next = fetched[limit];
  return { points, nextPageCursor: next === undefined ? '' : encodeURIComponent(`cursor=${next.time}`) };
}

function decodeOnce(s: string): string {
  try {
    return s.includes('%') ? decodeURIComponent(s) : s;
  } catch {
    throw new ParamError('params error: invalid cursor');
  }
}

/** Accepts the cursor as sent (URL-encoded) or already decoded by the client's HTTP library. */
function parseInstrumentCursor(raw: string | null): string | undefined {
  if (raw === null || raw === '') return undefined;
  const last = new URLSearchParams(decodeOnce(raw)).get('last');
  if (last === null || last === '') throw new ParamError('params error: invalid cursor');
  return last;
}
