import os from 'node:os';
import fs from 'node:fs';
import net from 'node:net';
import { z } from 'zod';
import { REST_REQUESTS_PER_5S, WS_CONNECTS_PER_5MIN, WS_PATH } from '@confluence/bybit-wire';
import { DEFAULT_KEY_PREFIX, LIMITS, SOURCES, type ShardId, isValidKeyPrefix, isValidSymbol } from '@confluence/contracts';

export class ConfigError extends Error {
  readonly code = 'config_invalid';
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
  }
}

export type Env = Record<string, string | undefined>;

export interface MemcachedConfig {
  servers: string[];
  username: string | undefined;
  password: string | undefined;
  /** Per-operation timeout; an operation never waits longer. */
  timeoutMs: number;
}

const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;
const HOST_PORT = /^[A-Za-z0-9.-]+:\d{1,5}$|^\[[0-9a-fA-F:]+\]:\d{1,5}$/;

/**
 * A whole number written in plain decimal digits. `Number()` alone would take " " as 0, "0x50" as 80 and "1e3" as
 * 1000; a value that is not what it looks like is a mistake to report, not to guess at. Unset or "" means the default.
 */
const decimal = (name: string, dflt: number, min: number, max: number, range: string) =>
  z
    .string({ error: `${name} must be a number` })
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === '') return dflt;
      if (!/^\d{1,16}$/.test(v)) {
        ctx.addIssue({ code: 'custom', message: `${name} must be a whole number in decimal digits, got ${JSON.stringify(v.slice(0, 40))}` });
        return z.NEVER;
      }
      const n = Number(v);
      if (n < min || n > max) {
        ctx.addIssue({ code: 'custom', message: `${name} must be ${range}` });
        return z.NEVER;
      }
      return n;
    });
const port = (name: string, dflt: number) => decimal(name, dflt, 0, 65535, '0-65535');
const posInt = (name: string, dflt: number, min = 1, max = Number.MAX_SAFE_INTEGER) =>
  decimal(name, dflt, min, max, max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `${min}-${max}`);
/** A bind address: an IP literal or a DNS name (RFC 1123 labels); whether it can be bound is found out at listen. */
const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const bindHost = (name: string) =>
  z
    .string()
    .default('127.0.0.1')
    .refine((v) => net.isIP(v) !== 0 || HOSTNAME.test(v), `${name} must be an IP address or a host name`);
const emptyToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);
const optionalString = z.preprocess(emptyToUndefined, z.string().optional());
const url = (name: string, protocols: string[], dflt: string) =>
  z
    .string()
    .default(dflt)
    .refine(
      (v) => {
        try {
          return protocols.includes(new URL(v).protocol);
        } catch {
          return false;
        }
      },
      `${name} must be a ${protocols.join(' or ')} URL`,
    );

const optionalUrl = (name: string, protocols: string[]) =>
  z.preprocess(
    emptyToUndefined,
    z
      .string()
      .refine(
        (v) => {
          try {
            return protocols.includes(new URL(v).protocol);
          } catch {
            return false;
          }
        },
        `${name} must be a ${protocols.join(' or ')} URL`,
      )
      .optional(),
  );

const memcachedShape = {
  MEMCACHED_SERVERS: z
    .string()
    .default('127.0.0.1:11211')
    .transform((v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    )
    .refine((list) => list.length > 0 && list.every((s) => HOST_PORT.test(s)), 'MEMCACHED_SERVERS must be a comma-separated list of host:port'),
  MEMCACHED_USERNAME: optionalString,
  MEMCACHED_PASSWORD: optionalString,
  MEMCACHED_TIMEOUT_MS: posInt('MEMCACHED_TIMEOUT_MS', 500, 10, 60000),
};

const common = {
  ...memcachedShape,
  KEY_PREFIX: z.string().default(DEFAULT_KEY_PREFIX).refine(isValidKeyPrefix, 'KEY_PREFIX must be 1-64 printable ASCII characters without spaces'),
  LOG_LEVEL: z.enum(LOG_LEVELS, { error: `LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}` }).default('info'),
  LOG_FORMAT: z.preprocess(emptyToUndefined, z.enum(['json', 'pretty']).optional()),
  PUBLISH_INTERVAL_MS: posInt('PUBLISH_INTERVAL_MS', 1000, 100, 60000),
};

function problemsOf(error: z.ZodError): string[] {
  return error.issues.map((i) => {
    const key = i.path.join('.');
    return i.message.includes(key) || !key ? i.message : `${key}: ${i.message}`;
  });
}

function parse<S extends z.ZodRawShape>(shape: S, env: Env): z.infer<z.ZodObject<S>> {
  const result = z.object(shape).safeParse(env);
  if (!result.success) throw new ConfigError(problemsOf(result.error));
  return result.data;
}

function memcachedOf(e: {
  MEMCACHED_SERVERS: string[];
  MEMCACHED_USERNAME?: string;
  MEMCACHED_PASSWORD?: string;
  MEMCACHED_TIMEOUT_MS: number;
}): MemcachedConfig {
  if ((e.MEMCACHED_USERNAME === undefined) !== (e.MEMCACHED_PASSWORD === undefined)) {
    throw new ConfigError(['MEMCACHED_USERNAME and MEMCACHED_PASSWORD must be set together']);
  }
  return { servers: e.MEMCACHED_SERVERS, username: e.MEMCACHED_USERNAME, password: e.MEMCACHED_PASSWORD, timeoutMs: e.MEMCACHED_TIMEOUT_MS };
}

export function parseShard(value: string | undefined): ShardId | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const m = /^(\d+)\/(\d+)$/.exec(value.trim());
  if (!m) throw new ConfigError([`SHARD must look like i/N (e.g. 0/2), got ${JSON.stringify(value)}`]);
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || count > 64 || index >= count) throw new ConfigError([`SHARD ${value}: need 0 ≤ i < N ≤ 64`]);
  return { index, count };
}

export const BYBIT_WS_URL = `wss://stream.bybit.com${WS_PATH}`;
export const BYBIT_REST_URL = 'https://api.bybit.com';

export interface AnalyzerConfig {
  port: number;
  host: string;
  memcached: MemcachedConfig;
  keyPrefix: string;
  logLevel: (typeof LOG_LEVELS)[number];
  logFormat: 'json' | 'pretty' | undefined;
  publishIntervalMs: number;
  marketSource: (typeof SOURCES)[number];
  bybitWsUrl: string;
  bybitRestUrl: string;
  topSymbols: number;
  symbols: string[] | undefined;
  shard: ShardId | undefined;
  replayFile: string | undefined;
  /** Replay speed multiplier; `Infinity` for as fast as possible. */
  replaySpeed: number;
  universeRefreshMs: number;
  dataDir: string;
  /** Component weights override, `name:weight,...`; validated by the engine. */
  componentWeights: Record<string, number> | undefined;
  historyIntervalMs: number;
  alertWebhookUrl: string | undefined;
  alertFormat: 'json' | 'telegram' | 'discord';
  alertRulesFile: string | undefined;
  analyzerId: string | undefined;
  /** V8 old-generation growth per major GC, in percent (0 = V8's own heuristic, up to 4× the live heap). */
  heapGrowingPercent: number;
  /** Worker threads that score (0: the main thread scores, between intake slices). */
  scoringWorkers: number;
  /** Run the WebSocket connections and the frame decoding in a thread of their own (live and sim). */
  intakeThread: boolean;
  /** Exchange connection timing; the defaults follow Bybit's guidance, tests shorten them. */
  intakeTiming: { pingIntervalMs: number; pongTimeoutMs: number; restBackoff403Ms: number; backoffBaseMs: number; backoffMaxMs: number };
  /** Rank stock, commodity, ETF and FX perpetuals (Bybit's symbolType) into the universe too. Default false. */
  includeTradFi: boolean;
  /** A symbol dropped from the universe keeps its state this long, so a quick return needs no full warm-up. */
  universeGraceMs: number;
  /** This process's share of Bybit's per-IP REST budget (600 requests / 5 s): requests per second and in flight. */
  restBudget: { ratePerSec: number; maxInFlight: number };
  /** Pool-wide cap on WebSocket connection attempts per 5 minutes (Bybit allows 500 per IP). */
  wsConnectsPer5Min: number;
  /** How often the clock offset to Bybit's /v5/market/time is measured again. */
  clockSyncMs: number;
}

function parseWeights(value: string | undefined, name: string): Record<string, number> | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const out: Record<string, number> = {};
  for (const part of value.split(',')) {
    const m = /^\s*([a-z0-9]+)\s*:\s*([0-9]*\.?[0-9]+)\s*$/i.exec(part);
    if (!m) throw new ConfigError([`${name}: expected name:weight pairs separated by commas, got ${JSON.stringify(part)}`]);
    out[m[1]] = Number(m[2]);
  }
  return out;
}

/** Why a file cannot be read, or undefined when it can. */
function unreadableFile(file: string): string | undefined {
  try {
    if (!fs.statSync(file).isFile()) return 'is not a file';
    fs.accessSync(file, fs.constants.R_OK);
    return undefined;
  } catch (err) {
    const code = (err as { code?: string }).code;
    return code === 'ENOENT' ? 'does not exist' : code === 'EACCES' ? 'is not readable' : `cannot be read (${code ?? String(err)})`;
  }
}

const topSymbolsNumber = posInt('TOP_SYMBOLS', 15, 1, 1000);
/** Most scoring worker threads a process starts ("auto" picks one per core up to this). */
export const MAX_SCORING_WORKERS = 8;
const scoringWorkersNumber = posInt('ANALYZER_SCORING_WORKERS', 0, 0, MAX_SCORING_WORKERS);
/**
 * What ANALYZER_SCORING_WORKERS=auto means on a host with `cores` cores: the main thread scores on two cores or fewer
 * (there a worker only takes CPU from message intake, and its snapshot mirrors cost memory), otherwise one worker per
 * core beyond the main thread and the intake thread (or the main thread alone when intake runs in it), at most 4.
 */
export function autoScoringWorkers(cores: number, intakeThread = false): number {
  return cores <= 2 ? 0 : Math.max(1, Math.min(4, cores - (intakeThread ? 2 : 1)));
}
/** ANALYZER_SCORING_WORKERS: a count (0 = score in the main thread) or "auto" (default, see autoScoringWorkers). */
const scoringWorkers = z
  .string({ error: 'ANALYZER_SCORING_WORKERS must be a number or "auto"' })
  .optional()
  .transform((v, ctx) => {
    if (v === undefined || v.trim() === '' || v.trim().toLowerCase() === 'auto') return 'auto' as const;
    const r = scoringWorkersNumber.safeParse(v);
    if (r.success) return r.data;
    ctx.addIssue({ code: 'custom', message: `${r.error.issues[0]?.message ?? 'ANALYZER_SCORING_WORKERS is invalid'} (or "auto")` });
    return z.NEVER;
  });
/**
 * What ANALYZER_INTAKE_THREAD=auto means on a host with `cores` cores: a thread of its own for the exchange connections
 * and the decoding wherever there is a second core for it to run on.
 */
export function autoIntakeThread(cores: number): boolean {
  return cores >= 2;
}
/** ANALYZER_INTAKE_THREAD: 1 / true, 0 / false, or "auto" (default, see autoIntakeThread). */
const intakeThread = z
  .preprocess(emptyToUndefined, z.enum(['0', '1', 'true', 'false', 'auto'], { error: 'ANALYZER_INTAKE_THREAD must be 0, 1, true, false or auto' }).optional())
  .transform((v) => (v === undefined || v === 'auto' ? autoIntakeThread(os.availableParallelism()) : v === '1' || v === 'true'));
/** TOP_SYMBOLS: N of the top N, or "all" for every eligible instrument (as many as a table may hold, LIMITS.rows). */
const topSymbols = z
  .string({ error: 'TOP_SYMBOLS must be a number or "all"' })
  .optional()
  .transform((v, ctx) => {
    if (v !== undefined && v.trim().toLowerCase() === 'all') return LIMITS.rows;
    const r = topSymbolsNumber.safeParse(v);
    if (r.success) return r.data;
    ctx.addIssue({ code: 'custom', message: `${r.error.issues[0]?.message ?? 'TOP_SYMBOLS is invalid'} (or "all")` });
    return z.NEVER;
  });

/** Default of ANALYZER_HEAP_GROWING_PERCENT (see services/analyzer/src/heap.ts for why). */
export const DEFAULT_HEAP_GROWING_PERCENT = 50;

/** Every variable the analyzer reads, with its validation and default. */
const analyzerShape = {
  ...common,
  ANALYZER_PORT: port('ANALYZER_PORT', 8003),
  ANALYZER_HOST: bindHost('ANALYZER_HOST'),
  MARKET_SOURCE: z.enum(SOURCES, { error: `MARKET_SOURCE must be one of ${SOURCES.join(', ')}` }).default('live'),
  BYBIT_WS_URL: url('BYBIT_WS_URL', ['ws:', 'wss:'], BYBIT_WS_URL),
  BYBIT_REST_URL: url('BYBIT_REST_URL', ['http:', 'https:'], BYBIT_REST_URL),
  // "all": every eligible instrument (as many as a table may hold, LIMITS.rows); Bybit lists about 690.
  TOP_SYMBOLS: topSymbols,
  SYMBOLS: optionalString,
  SHARD: optionalString,
  REPLAY_FILE: optionalString,
  REPLAY_SPEED: z
    .string()
    .default('1')
    .refine((v) => v === 'max' || (Number.isFinite(Number(v)) && Number(v) > 0), 'REPLAY_SPEED must be a positive number or "max"')
    .transform((v) => (v === 'max' ? Number.POSITIVE_INFINITY : Number(v))),
  UNIVERSE_REFRESH_MS: posInt('UNIVERSE_REFRESH_MS', 15 * 60_000, 10_000),
  DATA_DIR: z.string().default('.data'),
  CONFLUENCE_WEIGHTS: optionalString,
  HISTORY_INTERVAL_MS: posInt('HISTORY_INTERVAL_MS', 60_000, 100),
  ALERT_WEBHOOK_URL: optionalUrl('ALERT_WEBHOOK_URL', ['http:', 'https:']),
  ALERT_FORMAT: z.enum(['json', 'telegram', 'discord'], { error: 'ALERT_FORMAT must be json, telegram or discord' }).default('json'),
  ALERT_RULES_FILE: optionalString,
  ANALYZER_ID: optionalString,
  BYBIT_PING_INTERVAL_MS: posInt('BYBIT_PING_INTERVAL_MS', 20_000, 100, 60_000),
  BYBIT_PONG_TIMEOUT_MS: posInt('BYBIT_PONG_TIMEOUT_MS', 10_000, 100, 60_000),
  BYBIT_REST_403_BACKOFF_MS: posInt('BYBIT_REST_403_BACKOFF_MS', 600_000, 100),
  ANALYZER_HEAP_GROWING_PERCENT: posInt('ANALYZER_HEAP_GROWING_PERCENT', DEFAULT_HEAP_GROWING_PERCENT, 0, 300),
  ANALYZER_SCORING_WORKERS: scoringWorkers,
  ANALYZER_INTAKE_THREAD: intakeThread,
  BYBIT_WS_BACKOFF_BASE_MS: posInt('BYBIT_WS_BACKOFF_BASE_MS', 500, 10, 60_000),
  BYBIT_WS_BACKOFF_MAX_MS: posInt('BYBIT_WS_BACKOFF_MAX_MS', 30_000, 10, 600_000),
  UNIVERSE_INCLUDE_TRADFI: z
    .preprocess(emptyToUndefined, z.enum(['0', '1', 'true', 'false'], { error: 'UNIVERSE_INCLUDE_TRADFI must be 0, 1, true or false' }).optional())
    .transform((v) => v === '1' || v === 'true'),
  UNIVERSE_GRACE_MS: posInt('UNIVERSE_GRACE_MS', 30 * 60_000, 0, 24 * 3_600_000),
  BYBIT_REST_RATE_PER_SEC: posInt('BYBIT_REST_RATE_PER_SEC', 20, 1, REST_REQUESTS_PER_5S / 5),
  BYBIT_REST_MAX_IN_FLIGHT: posInt('BYBIT_REST_MAX_IN_FLIGHT', 4, 1, 64),
  BYBIT_WS_CONNECTS_PER_5MIN: posInt('BYBIT_WS_CONNECTS_PER_5MIN', 300, 1, WS_CONNECTS_PER_5MIN),
  BYBIT_CLOCK_SYNC_MS: posInt('BYBIT_CLOCK_SYNC_MS', 10 * 60_000, 1_000, 24 * 3_600_000),
};

export function loadAnalyzerConfig(env: Env = process.env): AnalyzerConfig {
  const e = parse(analyzerShape, env);
  const problems: string[] = [];
  let symbols: string[] | undefined;
  if (e.SYMBOLS !== undefined) {
    symbols = [
      ...new Set(
        e.SYMBOLS.split(',')
          .map((s) => s.trim().toUpperCase())
          .filter(Boolean),
      ),
    ];
    const bad = symbols.filter((s) => !isValidSymbol(s));
    if (bad.length) problems.push(`SYMBOLS: invalid symbol(s) ${bad.slice(0, 5).join(', ')} (expected A-Z0-9, 2-30 characters)`);
    if (symbols.length === 0) problems.push('SYMBOLS is set but lists no symbol');
    // The contract accepts at most LIMITS.rows rows per table: a longer universe would publish tables no reader accepts.
    if (symbols.length > LIMITS.rows) problems.push(`SYMBOLS lists ${symbols.length} symbols; at most ${LIMITS.rows} are supported`);
  }
  if (e.MARKET_SOURCE === 'replay' && !e.REPLAY_FILE) problems.push('MARKET_SOURCE=replay needs REPLAY_FILE');
  if (e.MARKET_SOURCE === 'replay' && e.REPLAY_FILE) {
    const problem = unreadableFile(e.REPLAY_FILE);
    if (problem) problems.push(`REPLAY_FILE ${JSON.stringify(e.REPLAY_FILE)} ${problem}`);
  }
  if (problems.length) throw new ConfigError(problems);
  return {
    port: e.ANALYZER_PORT,
    host: e.ANALYZER_HOST,
    memcached: memcachedOf(e),
    keyPrefix: e.KEY_PREFIX,
    logLevel: e.LOG_LEVEL,
    logFormat: e.LOG_FORMAT,
    publishIntervalMs: e.PUBLISH_INTERVAL_MS,
    marketSource: e.MARKET_SOURCE,
    bybitWsUrl: e.BYBIT_WS_URL,
    bybitRestUrl: e.BYBIT_REST_URL,
    topSymbols: e.TOP_SYMBOLS,
    symbols,
    shard: parseShard(e.SHARD),
    replayFile: e.REPLAY_FILE,
    replaySpeed: e.REPLAY_SPEED,
    universeRefreshMs: e.UNIVERSE_REFRESH_MS,
    dataDir: e.DATA_DIR,
    componentWeights: parseWeights(e.CONFLUENCE_WEIGHTS, 'CONFLUENCE_WEIGHTS'),
    historyIntervalMs: e.HISTORY_INTERVAL_MS,
    alertWebhookUrl: e.ALERT_WEBHOOK_URL,
    alertFormat: e.ALERT_FORMAT,
    alertRulesFile: e.ALERT_RULES_FILE,
    analyzerId: e.ANALYZER_ID,
    heapGrowingPercent: e.ANALYZER_HEAP_GROWING_PERCENT,
    scoringWorkers:
      e.ANALYZER_SCORING_WORKERS === 'auto' ? autoScoringWorkers(os.availableParallelism(), e.ANALYZER_INTAKE_THREAD) : e.ANALYZER_SCORING_WORKERS,
    intakeThread: e.ANALYZER_INTAKE_THREAD,
    intakeTiming: {
      pingIntervalMs: e.BYBIT_PING_INTERVAL_MS,
      pongTimeoutMs: e.BYBIT_PONG_TIMEOUT_MS,
      restBackoff403Ms: e.BYBIT_REST_403_BACKOFF_MS,
      backoffBaseMs: e.BYBIT_WS_BACKOFF_BASE_MS,
      backoffMaxMs: Math.max(e.BYBIT_WS_BACKOFF_BASE_MS, e.BYBIT_WS_BACKOFF_MAX_MS),
    },
    includeTradFi: e.UNIVERSE_INCLUDE_TRADFI,
    universeGraceMs: e.UNIVERSE_GRACE_MS,
    restBudget: { ratePerSec: e.BYBIT_REST_RATE_PER_SEC, maxInFlight: e.BYBIT_REST_MAX_IN_FLIGHT },
    wsConnectsPer5Min: e.BYBIT_WS_CONNECTS_PER_5MIN,
    clockSyncMs: e.BYBIT_CLOCK_SYNC_MS,
  };
}

export interface WebConfig {
  port: number;
  host: string;
  memcached: MemcachedConfig;
  keyPrefix: string;
  logLevel: (typeof LOG_LEVELS)[number];
  logFormat: 'json' | 'pretty' | undefined;
  /** Used to judge staleness until a heartbeat states the analyzer's own interval. */
  publishIntervalMs: number;
  /** How often the web looks for a new generation in Memcached. */
  pollIntervalMs: number;
  authToken: string | undefined;
  /** Failed authentications per minute per client IP before every request from it answers 429. */
  authFailuresPerMin: number;
  /** Requests per minute per client IP on everything but /healthz; 0 disables the limit. */
  rateLimitPerMin: number;
  /** Concurrent SSE streams in total and per client IP; past either, /api/stream answers 503. */
  sseMaxClients: number;
  sseMaxPerIp: number;
  /** SSE comment written this often; a client that took none of the bytes written since the last one is dropped. */
  sseHeartbeatMs: number;
  /** Node's server timeouts: all headers within, the whole request within, an idle keep-alive connection kept for. */
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  /** Express `trust proxy`: false, a hop count, or addresses/subnets (loopback, linklocal, uniquelocal, IP, CIDR). */
  trustProxy: false | number | string[];
  /** Host header names accepted besides IP literals and localhost; `['*']` accepts any (DNS rebinding guard off). */
  allowedHosts: string[];
}

const TRUST_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

function parseTrustProxy(value: string | undefined): false | number | string[] {
  const v = (value ?? '').trim();
  if (v === '' || v === 'false' || v === '0') return false;
  if (/^\d{1,2}$/.test(v)) return Number(v);
  const list = v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = list.filter((s) => {
    if (TRUST_NAMES.has(s)) return false;
    const [ip, bits, ...rest] = s.split('/');
    const family = net.isIP(ip);
    if (family === 0 || rest.length) return true;
    return bits !== undefined && !(/^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128));
  });
  if (bad.length || list.length === 0) {
    throw new ConfigError([
      `WEB_TRUST_PROXY must be a hop count or a comma-separated list of loopback, linklocal, uniquelocal, IP addresses or CIDR subnets; not ${JSON.stringify(bad.join(',') || v)}`,
    ]);
  }
  return list;
}

function parseAllowedHosts(value: string | undefined): string[] {
  const list = (value ?? '')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  if (list.includes('*')) return ['*'];
  const bad = list.filter((h) => !HOSTNAME.test(h.replace(/^\*\./, '')));
  if (bad.length)
    throw new ConfigError([
      `WEB_ALLOWED_HOSTS must be a comma-separated list of host names (no ports; *.example.com for subdomains; * for any); not ${bad.slice(0, 3).join(', ')}`,
    ]);
  return list;
}

/** An empty token means "no authentication"; anything else must be a real token, not a copy-paste accident. */
const authToken = z
  .string()
  .optional()
  .transform((v, ctx) => {
    if (v === undefined || v === '') return undefined;
    if (v.trim() === '') {
      ctx.addIssue({
        code: 'custom',
        message: 'WEB_AUTH_TOKEN is only whitespace: set a real token (at least 16 characters) or leave it empty to turn authentication off',
      });
      return z.NEVER;
    }
    if (!/^[\x21-\x7e]+$/.test(v)) {
      ctx.addIssue({ code: 'custom', message: 'WEB_AUTH_TOKEN must be visible ASCII characters without spaces' });
      return z.NEVER;
    }
    if (v.length < 16) {
      ctx.addIssue({ code: 'custom', message: 'WEB_AUTH_TOKEN must be at least 16 characters' });
      return z.NEVER;
    }
    return v;
  });

/** Every variable the web reads, with its validation and default. */
const webShape = {
  ...common,
  WEB_PORT: port('WEB_PORT', 8001),
  WEB_HOST: bindHost('WEB_HOST'),
  WEB_POLL_MS: posInt('WEB_POLL_MS', 200, 20, 10_000),
  WEB_AUTH_TOKEN: authToken,
  WEB_AUTH_FAILURES_PER_MIN: posInt('WEB_AUTH_FAILURES_PER_MIN', 20, 1, 10_000),
  WEB_RATE_LIMIT_PER_MIN: posInt('WEB_RATE_LIMIT_PER_MIN', 1200, 0),
  WEB_SSE_MAX_CLIENTS: posInt('WEB_SSE_MAX_CLIENTS', 500, 1, 100_000),
  WEB_SSE_MAX_PER_IP: posInt('WEB_SSE_MAX_PER_IP', 20, 1, 100_000),
  WEB_SSE_HEARTBEAT_MS: posInt('WEB_SSE_HEARTBEAT_MS', 15_000, 100, 300_000),
  WEB_HEADERS_TIMEOUT_MS: posInt('WEB_HEADERS_TIMEOUT_MS', 10_000, 100, 300_000),
  WEB_REQUEST_TIMEOUT_MS: posInt('WEB_REQUEST_TIMEOUT_MS', 30_000, 100, 600_000),
  WEB_KEEP_ALIVE_TIMEOUT_MS: posInt('WEB_KEEP_ALIVE_TIMEOUT_MS', 5_000, 100, 600_000),
  WEB_TRUST_PROXY: optionalString,
  WEB_ALLOWED_HOSTS: optionalString,
};

export function loadWebConfig(env: Env = process.env): WebConfig {
  const e = parse(webShape, env);
  const problems: string[] = [];
  if (e.WEB_SSE_MAX_PER_IP > e.WEB_SSE_MAX_CLIENTS) problems.push('WEB_SSE_MAX_PER_IP must not exceed WEB_SSE_MAX_CLIENTS');
  if (e.WEB_HEADERS_TIMEOUT_MS > e.WEB_REQUEST_TIMEOUT_MS) problems.push('WEB_HEADERS_TIMEOUT_MS must not exceed WEB_REQUEST_TIMEOUT_MS');
  if (problems.length) throw new ConfigError(problems);
  return {
    port: e.WEB_PORT,
    host: e.WEB_HOST,
    memcached: memcachedOf(e),
    keyPrefix: e.KEY_PREFIX,
    logLevel: e.LOG_LEVEL,
    logFormat: e.LOG_FORMAT,
    publishIntervalMs: e.PUBLISH_INTERVAL_MS,
    pollIntervalMs: e.WEB_POLL_MS,
    authToken: e.WEB_AUTH_TOKEN,
    authFailuresPerMin: e.WEB_AUTH_FAILURES_PER_MIN,
    rateLimitPerMin: e.WEB_RATE_LIMIT_PER_MIN,
    sseMaxClients: e.WEB_SSE_MAX_CLIENTS,
    sseMaxPerIp: e.WEB_SSE_MAX_PER_IP,
    sseHeartbeatMs: e.WEB_SSE_HEARTBEAT_MS,
    headersTimeoutMs: e.WEB_HEADERS_TIMEOUT_MS,
    requestTimeoutMs: e.WEB_REQUEST_TIMEOUT_MS,
    keepAliveTimeoutMs: e.WEB_KEEP_ALIVE_TIMEOUT_MS,
    trustProxy: parseTrustProxy(e.WEB_TRUST_PROXY),
    allowedHosts: parseAllowedHosts(e.WEB_ALLOWED_HOSTS),
  };
}

/** The environment variables `loadAnalyzerConfig` reads, in declaration order. */
export const ANALYZER_ENV_VARS: readonly string[] = Object.freeze(Object.keys(analyzerShape));
/** The environment variables `loadWebConfig` reads, in declaration order. */
export const WEB_ENV_VARS: readonly string[] = Object.freeze(Object.keys(webShape));
/** Every environment variable this package reads, for either service, sorted (the README's table lists exactly these). */
export const CONFIG_ENV_VARS: readonly string[] = Object.freeze([...new Set([...ANALYZER_ENV_VARS, ...WEB_ENV_VARS])].sort());

/** True when a bind address is reachable only from this machine. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/** Prints a config error readably and exits; for main.ts files. */
export function exitOnConfigError(err: unknown, service: string): never {
  if (err instanceof ConfigError) {
    process.stderr.write(`${service}: ${err.message}\n`);
    process.exit(2);
  }
  throw err;
}
