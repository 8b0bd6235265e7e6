// Bybit's limits on the public linear stream and REST API, the warm-up request sizes the analyzer uses (the
// recording generator reproduces them), and the recording format version shared by the recorder and replay.
import { KLINE_INTERVALS } from './topics';

/** WebSocket endpoint path of the public linear stream. */
export const WS_PATH = '/v5/public/linear';
/** Prefix of the public market REST endpoints. */
export const REST_MARKET_PREFIX = '/v5/market/';
/** The public market REST endpoints this project calls (all take `category=linear` but `time`). */
export const REST_PATH = {
  instrumentsInfo: `${REST_MARKET_PREFIX}instruments-info`,
  tickers: `${REST_MARKET_PREFIX}tickers`,
  kline: `${REST_MARKET_PREFIX}kline`,
  openInterest: `${REST_MARKET_PREFIX}open-interest`,
  accountRatio: `${REST_MARKET_PREFIX}account-ratio`,
  fundingHistory: `${REST_MARKET_PREFIX}funding/history`,
  time: `${REST_MARKET_PREFIX}time`,
} as const;
/** At most this many args in one subscribe/unsubscribe request. */
export const MAX_ARGS_PER_REQUEST = 10;
/** Bybit's cap on the total length of one public connection's subscribed args. */
export const MAX_ARGS_CHARS_PER_CONNECTION = 21_000;
/** Bybit asks clients to ping every 20 s; a connection with no traffic is dropped. */
export const PING_INTERVAL_MS = 20_000;

/** Bybit's published IP limits: public REST requests per 5 s, and new WebSocket connections per 5 min. */
export const REST_REQUESTS_PER_5S = 600;
export const WS_CONNECTS_PER_5MIN = 500;
export const WS_CONNECT_WINDOW_MS = 5 * 60_000;

/** REST retCodes with a meaning of their own. */
export const RET_CODE = { ok: 0, rateLimited: 10006, invalidParam: 10001, timeout: 10000, serverBusy: 10016 } as const;

/** The warm-up REST requests per symbol: page sizes and the open-interest / account-ratio period. */
export const WARMUP = {
  klineLimit: 200,
  klineIntervals: KLINE_INTERVALS,
  openInterestLimit: 200,
  accountRatioLimit: 100,
  fundingLimit: 50,
  seriesInterval: '5min',
} as const;

/** Format version of a recording (JSON lines: a meta line, REST answers, WS frames); replay refuses others. */
export const RECORDING_VERSION = 1;
