import http from 'node:http';
import https from 'node:https';
import axios, { isAxiosError } from 'axios';
import { INTERVAL_MS, isKlineInterval, REST_PATH, RET_CODE } from '@confluence/bybit-wire';
import { z } from 'zod';
import type { Candle, FundingPoint, LongShortPoint, OpenInterestPoint } from '@confluence/confluence';
import type { Logger } from '@confluence/logger';
import { fullJitterDelay, sleep } from '../backoff';
import { RateLimiter, RateLimiterClosedError } from '../rate-limiter';
import { errorMessage } from '@confluence/logger';

/** One raw HTTP answer; the body is kept as text so it can be recorded and replayed byte for byte. */
export interface RestResponse {
  readonly status: number;
  readonly body: string;
  readonly headers: Readonly<Record<string, string | undefined>>;
}

/** Where requests go: HTTP (axios) live/sim, a recording in replay. `pathWithQuery` starts with `/v5/…`. */
export interface RestTransport {
  get(pathWithQuery: string, options: { timeoutMs: number; signal: AbortSignal }): Promise<RestResponse>;
  close?(): void;
}

export type RestErrorCode = 'http' | 'retcode' | 'timeout' | 'network' | 'parse' | 'closed' | 'rate_limited' | 'access_blocked' | 'replay_missing';

export class RestError extends Error {
  constructor(
    readonly code: RestErrorCode,
    message: string,
    readonly path: string,
    readonly status?: number,
    readonly retCode?: number,
  ) {
    super(message);
    this.name = 'RestError';
  }
}

export const REST_TIMEOUT_MS = 10_000;
export const REST_RETRY_BASE_MS = 500;
export const REST_RETRY_MAX_MS = 15_000;
/** Bybit asks for ≥ 10 minutes after an HTTP 403 "access too frequent". */
export const REST_BACKOFF_403_MS = 10 * 60_000;
/** Attempts for transient failures (5xx, 10000, 10016, network, timeout). */
export const REST_MAX_ATTEMPTS = 4;
/** Rate-limit answers (403/429/10006) retried this many times before giving up. */
export const REST_MAX_RATE_LIMITED = 6;

export interface RestTiming {
  timeoutMs: number;
  retryBaseMs: number;
  retryMaxMs: number;
  backoff403Ms: number;
  maxAttempts: number;
  maxRateLimited: number;
}

export interface RestClientOptions {
  transport: RestTransport;
  logger: Logger;
  /** null: no limiting (replay answers from memory). Default: 20 req/s, 4 in flight. */
  limiter?: RateLimiter | null;
  timing?: Partial<RestTiming>;
  /** Wall clock, for `X-Bapi-Limit-Reset-Timestamp`. */
  now?: () => number;
  /** Called when an access block starts and when it ends (null). */
  onAccessBlock?: (block: AccessBlock | null) => void;
  /** Every HTTP answer, before interpretation (the recorder tees these). */
  onResponse?: (pathWithQuery: string, res: RestResponse) => void;
  random?: () => number;
}

export interface RestCounters {
  requests: number;
  /** Requests that finally failed (access blocks included). */
  errors: number;
  /** Rate-limit answers: 429, retCode 10006, a 403 "access too frequent". */
  rateLimited: number;
  /** HTTP 403 access blocks (an HTML page or a region/IP refusal): Bybit refuses this server, not its pace. */
  accessBlocked: number;
  retries: number;
}

/** Bybit (or the CDN in front of it) refuses this server's IP: set while every answer is such a 403. */
export interface AccessBlock {
  readonly status: number;
  readonly since: number;
  /** The first bytes of the answer body (logged once per block). */
  readonly sample: string;
  readonly message: string;
}

export const ACCESS_BLOCK_MESSAGE = "Bybit refuses this server's IP (HTTP 403)";
/** Backoff between attempts while blocked: from 5 s, doubling, at most 5 minutes (all requests pause together). */
export const ACCESS_BLOCK_RETRY_BASE_MS = 5_000;
export const ACCESS_BLOCK_RETRY_MAX_MS = 5 * 60_000;
const BODY_SAMPLE_CHARS = 300;

/**
 * A 403 is Bybit's IP rate limit ("access too frequent", or an answer carrying X-Bapi-Limit headers) unless it is an
 * HTML page or names a region / country / IP refusal: that is an access block (geo-blocking, a banned IP), and
 * pausing ten minutes between attempts as for a rate limit would only hide it.
 */
export function classify403(res: RestResponse): 'access_blocked' | 'rate_limited' {
  const body = res.body.slice(0, 4_096);
  if (/access too frequent|too many (visits|requests)|rate limit/i.test(body)) return 'rate_limited';
  if (res.headers['x-bapi-limit-status'] !== undefined || res.headers['x-bapi-limit-reset-timestamp'] !== undefined) return 'rate_limited';
  const html = /text\/html/i.test(res.headers['content-type'] ?? '') || /^\s*</.test(body);
  if (html || /forbidden|countr(y|ies)|region|restricted|not available|blocked|cloudfront|your ip/i.test(body)) return 'access_blocked';
  return 'rate_limited';
}

/** Printable first bytes of a body for a log line (no control characters, bounded). */
function bodySample(body: string): string {
  return (
    body
      .slice(0, BODY_SAMPLE_CHARS)
      // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters is this regex's purpose
      .replace(/[\u0000-\u001f\u007f]+/g, ' ')
      .trim()
  );
}

const TRANSIENT_RET_CODES: ReadonlySet<number> = new Set([RET_CODE.timeout, RET_CODE.serverBusy]);
const RATE_LIMIT_RET_CODE = RET_CODE.rateLimited;

const numStr = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const n = typeof v === 'number' ? v : v === '' ? NaN : Number(v);
  if (!Number.isFinite(n)) {
    ctx.addIssue({ code: 'custom', message: `not a number: ${JSON.stringify(v)}` });
    return z.NEVER;
  }
  return n;
});
const optNumStr = z
  .union([z.string(), z.number()])
  .optional()
  .transform((v) => {
    if (v === undefined || v === '') return undefined;
    const n = Number(v);
    return Number.isFinite(n) ? n : undefined;
  });

const envelopeSchema = z.object({ retCode: z.number(), retMsg: z.string().optional().default(''), result: z.unknown(), time: z.number().optional() });

const instrumentSchema = z.object({
  symbol: z.string(),
  contractType: z.string().optional().default(''),
  status: z.string(),
  baseCoin: z.string().optional().default(''),
  symbolType: z.string().optional().default(''),
  quoteCoin: z.string().optional().default(''),
  launchTime: optNumStr,
  fundingInterval: optNumStr,
  priceFilter: z.object({ tickSize: optNumStr }).optional(),
});
const instrumentsResultSchema = z.object({ list: z.array(instrumentSchema), nextPageCursor: z.string().optional().default('') });
export type InstrumentInfo = z.infer<typeof instrumentSchema>;

const tickerSchema = z.object({ symbol: z.string(), turnover24h: optNumStr, lastPrice: optNumStr, volume24h: optNumStr });
const tickersResultSchema = z.object({ list: z.array(tickerSchema) });
export type RestTicker = z.infer<typeof tickerSchema>;

const klineResultSchema = z.object({ list: z.array(z.array(z.string()).min(7)) });
const oiResultSchema = z.object({ list: z.array(z.object({ openInterest: numStr, timestamp: numStr })), nextPageCursor: z.string().optional() });
const ratioResultSchema = z.object({ list: z.array(z.object({ buyRatio: numStr, sellRatio: numStr, timestamp: numStr })) });
const fundingResultSchema = z.object({ list: z.array(z.object({ fundingRate: numStr, fundingRateTimestamp: numStr })) });

const timeResultSchema = z.object({
  timeSecond: z.string().optional(),
  timeNano: z
    .string()
    .regex(/^\d{7,}$/)
    .optional(),
});

export function pathWithQuery(path: string, query: Readonly<Record<string, string | number | undefined>>): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') params.set(k, String(v));
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

/** axios over a keep-alive agent that `close()` destroys (no socket outlives the intake). */
export function createHttpTransport(baseUrl: string): RestTransport {
  const httpAgent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  const httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 8 });
  const client = axios.create({
    baseURL: baseUrl.replace(/\/+$/, ''),
    responseType: 'text',
    transformResponse: (d: unknown) => d,
    validateStatus: () => true,
    maxRedirects: 0,
    httpAgent,
    httpsAgent,
    headers: { Accept: 'application/json' },
  });
  return {
    async get(p, { timeoutMs, signal }) {
      const r = await client.get<string>(p, { timeout: timeoutMs, signal });
      const headers: Record<string, string | undefined> = {};
      for (const [k, v] of Object.entries(r.headers ?? {})) headers[k.toLowerCase()] = v === undefined || v === null ? undefined : String(v);
      return { status: r.status, body: typeof r.data === 'string' ? r.data : JSON.stringify(r.data), headers };
    },
    close() {
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  };
}

function classifyTransportError(err: unknown, path: string): RestError {
  if (err instanceof RestError) return err;
  if (isAxiosError(err)) {
    if (err.code === 'ECONNABORTED' || err.code === 'ETIMEDOUT' || /timeout/i.test(err.message))
      return new RestError('timeout', `timeout: ${err.message}`, path);
    if (err.code === 'ERR_CANCELED') return new RestError('closed', 'request cancelled', path);
    return new RestError('network', `${err.code ?? 'network'}: ${err.message}`, path);
  }
  return new RestError('network', errorMessage(err), path);
}

/**
 * Bybit v5 public REST with the service's manners: a shared rate limiter, long pause on 403, pause on 429 / 10006
 * (honouring `X-Bapi-Limit-Reset-Timestamp`), retries with jittered backoff for transient failures, and
 * `retCode ≠ 0` as an error. Typed helpers return parsed, oldest-first series.
 */
export class BybitRestClient {
  readonly counters: RestCounters = { requests: 0, errors: 0, rateLimited: 0, accessBlocked: 0, retries: 0 };
  private block: AccessBlock | null = null;
  private blockAttempt = 0;
  private readonly onAccessBlock: RestClientOptions['onAccessBlock'];
  private readonly transport: RestTransport;
  private readonly logger: Logger;
  private readonly limiter: RateLimiter | null;
  private readonly timing: RestTiming;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly onResponse: RestClientOptions['onResponse'];
  private readonly abort = new AbortController();
  private closed = false;

  constructor(options: RestClientOptions) {
    this.transport = options.transport;
    this.logger = options.logger;
    this.limiter = options.limiter === undefined ? new RateLimiter() : options.limiter;
    this.timing = {
      timeoutMs: REST_TIMEOUT_MS,
      retryBaseMs: REST_RETRY_BASE_MS,
      retryMaxMs: REST_RETRY_MAX_MS,
      backoff403Ms: REST_BACKOFF_403_MS,
      maxAttempts: REST_MAX_ATTEMPTS,
      maxRateLimited: REST_MAX_RATE_LIMITED,
      ...options.timing,
    };
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
    this.onResponse = options.onResponse;
    this.onAccessBlock = options.onAccessBlock;
  }

  /** The current access block (every recent answer a 403 refusal), or null. */
  accessBlock(): AccessBlock | null {
    return this.block;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.abort.abort(new RestError('closed', 'rest client closed', ''));
    this.limiter?.close();
    this.transport.close?.();
  }

  /** GET and return `result` of a `retCode 0` answer, with `time` (server ms) when present. */
  async getResult(path: string, onSend?: (sentAt: number) => void): Promise<{ result: unknown; time: number | undefined }> {
    let transient = 0;
    let limited = 0;
    for (;;) {
      if (this.closed) throw new RestError('closed', 'rest client closed', path);
      let release: (() => void) | undefined;
      try {
        if (this.limiter) release = await this.limiter.acquire();
      } catch (err) {
        if (err instanceof RateLimiterClosedError) throw new RestError('closed', 'rest client closed', path);
        throw err;
      }
      let res: RestResponse;
      this.counters.requests++;
      onSend?.(this.now());
      try {
        res = await this.transport.get(path, { timeoutMs: this.timing.timeoutMs, signal: this.abort.signal });
      } catch (err) {
        release?.();
        const e = this.closed ? new RestError('closed', 'rest client closed', path) : classifyTransportError(err, path);
        if ((e.code === 'timeout' || e.code === 'network') && ++transient < this.timing.maxAttempts) {
          await this.retryWait(transient, e);
          continue;
        }
        throw this.fail(e);
      }
      release?.();
      this.onResponse?.(path, res);

      if (res.status === 403 && classify403(res) === 'access_blocked') {
        this.counters.accessBlocked++;
        if (this.block === null) {
          this.block = { status: 403, since: this.now(), sample: bodySample(res.body), message: ACCESS_BLOCK_MESSAGE };
          // Once per block, with the first bytes of the answer: what the operator needs to see why.
          this.logger.error('bybit REST refuses this server (HTTP 403 access block); retrying with backoff', { path, status: 403, body: this.block.sample });
          this.onAccessBlock?.(this.block);
        }
        // Every request waits together: a blocked IP gains nothing from many callers retrying at once.
        const wait = fullJitterDelay(this.blockAttempt++, ACCESS_BLOCK_RETRY_BASE_MS, ACCESS_BLOCK_RETRY_MAX_MS, this.random);
        this.limiter?.pauseUntil(this.now() + wait);
        throw this.fail(new RestError('access_blocked', ACCESS_BLOCK_MESSAGE, path, 403));
      }
      this.clearBlock();
      if (res.status === 403 || res.status === 429) {
        this.counters.rateLimited++;
        if (++limited > this.timing.maxRateLimited)
          throw this.fail(new RestError('rate_limited', `HTTP ${res.status} after ${limited} tries`, path, res.status));
        const wait = res.status === 403 ? this.timing.backoff403Ms : fullJitterDelay(limited, this.timing.retryBaseMs * 2, this.timing.retryMaxMs, this.random);
        this.logger.warn('bybit REST rate limited, pausing requests', { path, status: res.status, waitMs: wait });
        await this.pauseAll(wait);
        continue;
      }
      if (res.status >= 500) {
        const e = new RestError('http', `HTTP ${res.status}`, path, res.status);
        if (++transient < this.timing.maxAttempts) {
          await this.retryWait(transient, e);
          continue;
        }
        throw this.fail(e);
      }
      if (res.status !== 200) throw this.fail(new RestError('http', `HTTP ${res.status}`, path, res.status));

      let env: z.infer<typeof envelopeSchema>;
      try {
        env = envelopeSchema.parse(JSON.parse(res.body));
      } catch {
        const e = new RestError('parse', 'answer is not a Bybit envelope', path, res.status);
        if (++transient < this.timing.maxAttempts) {
          await this.retryWait(transient, e);
          continue;
        }
        throw this.fail(e);
      }
      if (env.retCode === 0) return { result: env.result, time: env.time };
      if (env.retCode === RATE_LIMIT_RET_CODE) {
        this.counters.rateLimited++;
        if (++limited > this.timing.maxRateLimited)
          throw this.fail(new RestError('rate_limited', `retCode 10006 after ${limited} tries`, path, 200, env.retCode));
        const reset = Number(res.headers['x-bapi-limit-reset-timestamp']);
        const wait =
          Number.isFinite(reset) && reset > 0
            ? Math.min(60_000, Math.max(50, reset - this.now()))
            : fullJitterDelay(limited, this.timing.retryBaseMs * 2, this.timing.retryMaxMs, this.random);
        this.logger.warn('bybit REST endpoint limit (10006), pausing requests', { path, waitMs: wait });
        await this.pauseAll(wait);
        continue;
      }
      const e = new RestError('retcode', `retCode ${env.retCode}: ${env.retMsg}`, path, 200, env.retCode);
      if (TRANSIENT_RET_CODES.has(env.retCode) && ++transient < this.timing.maxAttempts) {
        await this.retryWait(transient, e);
        continue;
      }
      throw this.fail(e);
    }
  }

  async instruments(maxPages = 50): Promise<InstrumentInfo[]> {
    const out: InstrumentInfo[] = [];
    const seen = new Set<string>();
    let cursor = '';
    for (let page = 0; page < maxPages; page++) {
      const p = pathWithQuery(REST_PATH.instrumentsInfo, { category: 'linear', limit: 1000, cursor: cursor || undefined });
      const r = this.parse(instrumentsResultSchema, (await this.getResult(p)).result, p);
      out.push(...r.list);
      if (!r.nextPageCursor || seen.has(r.nextPageCursor)) break;
      seen.add(r.nextPageCursor);
      cursor = r.nextPageCursor;
    }
    return out;
  }

  async tickers(): Promise<RestTicker[]> {
    const p = pathWithQuery(REST_PATH.tickers, { category: 'linear' });
    return this.parse(tickersResultSchema, (await this.getResult(p)).result, p).list;
  }

  /** Oldest first; the candle whose interval has not ended by the server time is marked unconfirmed. */
  async klines(symbol: string, interval: string, limit: number, start?: number): Promise<Candle[]> {
    const p = pathWithQuery(REST_PATH.kline, { category: 'linear', symbol, interval, limit, start });
    const { result, time } = await this.getResult(p);
    const r = this.parse(klineResultSchema, result, p);
    const ivMs = isKlineInterval(interval) ? INTERVAL_MS[interval] : INTERVAL_MS['1'];
    const serverNow = time ?? this.now();
    const out: Candle[] = [];
    for (const row of r.list) {
      const [start, open, high, low, close, volume, turnover] = row.slice(0, 7).map(Number);
      if (![start, open, high, low, close, volume, turnover].every(Number.isFinite)) throw this.fail(new RestError('parse', 'bad kline row', p));
      out.push({ start, open, high, low, close, volume, turnover, confirmed: start + ivMs <= serverNow });
    }
    return out.sort((a, b) => a.start - b.start);
  }

  async openInterest(symbol: string, intervalTime: string, limit: number): Promise<OpenInterestPoint[]> {
    const p = pathWithQuery(REST_PATH.openInterest, { category: 'linear', symbol, intervalTime, limit });
    const r = this.parse(oiResultSchema, (await this.getResult(p)).result, p);
    return r.list.map((x) => ({ ts: x.timestamp, openInterest: x.openInterest })).sort((a, b) => a.ts - b.ts);
  }

  async accountRatio(symbol: string, period: string, limit: number): Promise<LongShortPoint[]> {
    const p = pathWithQuery(REST_PATH.accountRatio, { category: 'linear', symbol, period, limit });
    const r = this.parse(ratioResultSchema, (await this.getResult(p)).result, p);
    return r.list.map((x) => ({ ts: x.timestamp, buyRatio: x.buyRatio, sellRatio: x.sellRatio })).sort((a, b) => a.ts - b.ts);
  }

  async fundingHistory(symbol: string, limit: number): Promise<FundingPoint[]> {
    const p = pathWithQuery(REST_PATH.fundingHistory, { category: 'linear', symbol, limit });
    const r = this.parse(fundingResultSchema, (await this.getResult(p)).result, p);
    return r.list.map((x) => ({ ts: x.fundingRateTimestamp, rate: x.fundingRate })).sort((a, b) => a.ts - b.ts);
  }

  private parse<S extends z.ZodType>(schema: S, value: unknown, path: string): z.infer<S> {
    const r = schema.safeParse(value);
    if (!r.success) throw this.fail(new RestError('parse', `unexpected result shape: ${r.error.issues[0]?.message ?? 'invalid'}`, path));
    return r.data;
  }

  private clearBlock(): void {
    this.blockAttempt = 0;
    if (this.block === null) return;
    this.logger.info('bybit REST answers again after an access block', { blockedForMs: this.now() - this.block.since });
    this.block = null;
    this.onAccessBlock?.(null);
  }

  /**
   * Bybit's clock against ours: `offsetMs` = server time − the local midpoint of the request (positive: Bybit is
   * ahead), `rttMs` the round trip. Uses `timeNano` when present (ms precision), else `time` / `timeSecond`.
   */
  async serverTime(): Promise<{ offsetMs: number; rttMs: number; serverMs: number }> {
    const p = REST_PATH.time;
    // Timed from the moment the request is sent (after any wait in the rate limiter) to its answer.
    let t0 = this.now();
    const { result, time } = await this.getResult(p, (sentAt) => (t0 = sentAt));
    const t1 = this.now();
    const r = this.parse(timeResultSchema, result, p);
    const nano = r.timeNano !== undefined ? Number(r.timeNano.slice(0, -6)) : NaN;
    const serverMs = Number.isFinite(nano) && nano > 0 ? nano : (time ?? (r.timeSecond !== undefined ? Number(r.timeSecond) * 1000 : NaN));
    if (!Number.isFinite(serverMs)) throw this.fail(new RestError('parse', 'no server time in the answer', p));
    return { offsetMs: serverMs - (t0 + t1) / 2, rttMs: t1 - t0, serverMs };
  }

  private fail(e: RestError): RestError {
    if (e.code !== 'closed') this.counters.errors++;
    return e;
  }

  private async retryWait(attempt: number, e: RestError): Promise<void> {
    this.counters.retries++;
    const wait = fullJitterDelay(attempt, this.timing.retryBaseMs, this.timing.retryMaxMs, this.random);
    this.logger.debug('bybit REST transient failure, retrying', { path: e.path, code: e.code, message: e.message, attempt, waitMs: wait });
    await this.sleep(wait);
  }

  /** Rate-limit waits stop every request (shared limiter), not only this one. */
  private async pauseAll(ms: number): Promise<void> {
    this.limiter?.pauseUntil(this.now() + ms);
    await this.sleep(ms);
  }

  private async sleep(ms: number): Promise<void> {
    try {
      await sleep(ms, this.abort.signal);
    } catch {
      throw new RestError('closed', 'rest client closed', '');
    }
  }
}
