import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import zlib from 'node:zlib';
import { AddressInfo } from 'node:net';
import compression from 'compression';
import express, { NextFunction, Request, Response } from 'express';
import { rateLimit } from 'express-rate-limit';
import { Cache, CacheUnavailableError, createCache } from '@confluence/cache';
import { ApiEnvelope, Envelope, Kind, REWRITE_UNCHANGED_MS, Status, createKeys, isValidSymbol } from '@confluence/contracts';
import { type WebConfig, isLoopbackHost } from '@confluence/config';
import { Logger, createLogger, createRateLimitedLog } from '@confluence/logger';
import { HttpError, errorHandler, sendError } from './http-errors';
import { createWebMetrics } from './metrics';
import { SymbolsQuery, applySymbolsQuery, parseQuery, symbolsQuerySchema } from './query';
import { Reader, TableSnapshot } from './reader';
import { STALE_AFTER_INTERVALS } from './status';
import { FailureLimiter, MAX_URL_LENGTH, hostCheck, requestLimits, requireToken, securityHeaders } from './security';
import { StreamHub } from './stream';
import { clientErrorHandler, expectationFailed, methodNotAllowed } from './http-guards';

export interface WebDeps {
  cache?: Cache;
  logger?: Logger;
  now?: () => number;
}

export interface WebApp {
  start(): Promise<{ port: number; url: string }>;
  stop(): Promise<void>;
  readonly reader: Reader;
}

/** Values read on demand (details, history, calibration…) are kept this long before asking Memcached again. */
const ON_DEMAND_TTL_MS = 500;
const ON_DEMAND_MAX_ENTRIES = 2000;
const EXTRAS_POLL_MS = 2000;
const STATIC_DIR = path.join(__dirname, '..', 'static');
/**
 * The bundled client (build-client.cjs): content-hashed modules and the index.html that names them. Named from the
 * package root, so it is the same directory whether this file runs from dist/ or (in tests) from src/.
 */
const PUBLIC_DIR = path.join(__dirname, '..', 'dist', 'public');
const CLIENT_DIR = path.join(PUBLIC_DIR, 'js');
const INDEX_FILE = path.join(PUBLIC_DIR, 'index.html');
/** A hashed module's name changes with its content, so a browser may keep it for good. */
const IMMUTABLE = 'public, max-age=31536000, immutable';
/** The chart library as one ES module, imported by the detail view when it first opens (not on first paint). */
const CHARTS_FILE = path.join(path.dirname(require.resolve('lightweight-charts/package.json')), 'dist', 'lightweight-charts.standalone.production.mjs');
/** Bodies smaller than this go out as they are: gzip would save less than its own cost. */
const COMPRESS_THRESHOLD_BYTES = 1024;

const JSON_TYPE = 'application/json; charset=utf-8';

/** What /js serves from the client's bundle: its content-hashed modules (`main-H7A3U35J.js`, `chunk-…js`). */
const CLIENT_MODULE = /^\/[A-Za-z0-9_]+-[A-Z0-9]{8}\.js$/;

/** Every API route, for the 405 answer to a method they do not take. */
const API_ROUTES = [
  '/api/status',
  '/api/symbols',
  '/api/overview',
  '/api/movers',
  '/api/symbols/:symbol',
  '/api/symbols/:symbol/history',
  '/api/calibration',
  '/api/alerts',
  '/api/timeline',
  '/api/timeline/:minute',
  '/api/stream',
];

function body(status: Status, envelope: { generation: number; producedAt: number } | null, dataJson: string | null): string {
  return `{"status":${JSON.stringify(status)},"generation":${envelope ? envelope.generation : null},"producedAt":${envelope ? envelope.producedAt : null},"data":${dataJson ?? 'null'}}`;
}

/** The bundled page, read once; without a client build the dashboard answers 503 and says how to build it. */
function readIndexHtml(logger: Logger): { html: string; etag: string } | null {
  try {
    const html = fs.readFileSync(INDEX_FILE, 'utf8');
    return { html, etag: `"${createHash('sha256').update(html).digest('base64url').slice(0, 22)}"` };
  } catch (err) {
    logger.error('the dashboard is not built: run npm run build', { file: INDEX_FILE, error: err instanceof Error ? err.message : String(err) });
    return null;
  }
}

export function createApp(config: WebConfig, deps: WebDeps = {}): WebApp {
  const logger = deps.logger ?? createLogger({ service: 'web', level: config.logLevel, format: config.logFormat });
  const now = deps.now ?? Date.now;
  const driverLog = createRateLimitedLog(logger, 10_000, now);
  const cache =
    deps.cache ??
    createCache({ ...config.memcached, onDriverLog: (m) => driverLog('warn', 'memjs', 'memcached driver', { detail: m }) });
  const keys = createKeys(config.keyPrefix);
  const metrics = createWebMetrics();
  const indexHtml = readIndexHtml(logger);
  const reader = new Reader({ cache, keys, logger, pollIntervalMs: config.pollIntervalMs, defaultPublishIntervalMs: config.publishIntervalMs, now });
  const hub = new StreamHub(() => reader.status(), (n) => metrics.sseClients.set(n), {
    maxClients: config.sseMaxClients,
    maxPerIp: config.sseMaxPerIp,
    heartbeatMs: config.sseHeartbeatMs,
  }, (reason) => metrics.sseDropped.inc({ reason }));
  reader.on('snapshot', (s) => {
    metrics.generationsSeen.inc();
    hub.publishSnapshot(s);
  });
  reader.on('status', (s) => {
    metrics.statusChanges.inc({ state: s.state });
    hub.publishStatus(s);
  });

  // Fast path: the unfiltered table and overview are served as bytes built once per (view, status) pair,
  // and gzipped at most once per pair (on the first request that accepts gzip), not once per request.
  interface FastBody {
    plain: Buffer;
    gzip: Buffer | null;
  }
  let fastCache: { snap: TableSnapshot | null; status: Status; symbols: FastBody; overview: FastBody } | null = null;
  function fastBodies(): { symbols: FastBody; overview: FastBody } {
    const status = reader.status();
    const snap = reader.snapshot();
    if (!fastCache || fastCache.snap !== snap || fastCache.status !== status) {
      fastCache = {
        snap,
        status,
        symbols: { plain: Buffer.from(body(status, snap, snap ? snap.symbolsJson : null)), gzip: null },
        overview: { plain: Buffer.from(body(status, snap, snap ? snap.overviewJson : null)), gzip: null },
      };
    }
    return fastCache;
  }
  function sendFast(req: Request, res: Response, b: FastBody): void {
    res.type(JSON_TYPE).set('Cache-Control', 'no-store').vary('Accept-Encoding');
    if (b.plain.length >= COMPRESS_THRESHOLD_BYTES && req.acceptsEncodings('gzip', 'identity') === 'gzip') {
      b.gzip ??= zlib.gzipSync(b.plain, { level: 6 });
      res.set('Content-Encoding', 'gzip').send(b.gzip);
      return;
    }
    res.send(b.plain);
  }

  // Per-key on-demand values with a short life, so a burst of requests costs one Memcached read.
  const onDemand = new Map<string, { at: number; envelope: Envelope | null }>();
  async function readOnDemand<K extends Kind>(kind: K, key: string): Promise<{ envelope: Envelope<K> | null; fromMemory: boolean }> {
    const held = onDemand.get(key);
    const t = now();
    if (held && t - held.at < ON_DEMAND_TTL_MS) return { envelope: held.envelope as Envelope<K> | null, fromMemory: false };
    try {
      const r = await reader.readEnvelope(kind, key);
      if (onDemand.size > ON_DEMAND_MAX_ENTRIES) onDemand.delete(onDemand.keys().next().value as string);
      onDemand.set(key, { at: t, envelope: r ? r.envelope : null });
      reader.markCache(true);
      return { envelope: r ? r.envelope : null, fromMemory: false };
    } catch (err) {
      if (!(err instanceof CacheUnavailableError)) throw err;
      metrics.cacheErrors.inc();
      reader.markCache(false, err);
      // Memcached is down: the last value we held is still the truth we can show, marked by the status.
      return { envelope: held ? (held.envelope as Envelope<K> | null) : null, fromMemory: true };
    }
  }

  /**
   * `rewritten`: the value is rewritten at least every REWRITE_UNCHANGED_MS while the analyzer runs, so the response
   * judges it by its own age; values written only when they change (history, minute snapshots) are not.
   */
  function sendEnvelope<T>(res: Response, envelope: Envelope | null, data: T | null, rewritten = false): void {
    const status = rewritten ? reader.statusFor(envelope, REWRITE_UNCHANGED_MS + STALE_AFTER_INTERVALS * reader.publishIntervalMs()) : reader.status();
    const out: ApiEnvelope<T> = { status, generation: envelope ? envelope.generation : null, producedAt: envelope ? envelope.producedAt : null, data };
    res.type(JSON_TYPE).set('Cache-Control', 'no-store').send(JSON.stringify(out));
  }

  function symbolParam(req: Request): string {
    const raw = req.params.symbol;
    const symbol = typeof raw === 'string' ? raw : '';
    if (!isValidSymbol(symbol)) throw new HttpError(400, 'bad_parameter', 'symbol must be 2-30 characters A-Z or 0-9');
    return symbol;
  }

  function noQuery(req: Request): void {
    parseQuery(symbolsQuerySchema.pick({}), req.query as Record<string, unknown>);
  }

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');
  // Who the client is (rate limits, stream caps) and whether its connection is TLS (the cookie's Secure flag).
  app.set('trust proxy', config.trustProxy);
  app.use(requestLimits());
  app.use(securityHeaders());
  // gzip for the API and the page's scripts; bodies that are already encoded (the fast path above) pass through
  // untouched, and the stream gzips itself.
  app.use(
    compression({
      threshold: COMPRESS_THRESHOLD_BYTES,
      // The stream encodes itself (see stream.ts), so its backlog stays measurable per client.
      filter: (req, res) => req.path !== '/api/stream' && compression.filter(req, res),
    }),
  );
  app.use((req, res, next) => {
    const start = process.hrtime.bigint();
    res.on('finish', () => {
      const route = req.route?.path ? String(req.route.path) : req.path.startsWith('/api/') ? 'unmatched' : 'static';
      metrics.httpDuration.observe({ route, method: req.method, status: String(res.statusCode) }, Number(process.hrtime.bigint() - start) / 1e9);
    });
    next();
  });
  const openPath = (p: string): boolean => p === '/healthz';
  app.use(hostCheck(config.allowedHosts, openPath));
  app.get('/healthz', (_req, res) => {
    const status = reader.status();
    res.type(JSON_TYPE).set('Cache-Control', 'no-store').send(JSON.stringify({ ok: true, service: 'web', state: status.state, cacheReachable: reader.isCacheReachable() }));
  });
  // Everything but the health check is inside the limiter, and it runs before the token check, so a client
  // guessing tokens is limited like any other; failed authentications have a much tighter limit of their own.
  if (config.rateLimitPerMin > 0) {
    app.use(
      rateLimit({
        windowMs: 60_000,
        limit: config.rateLimitPerMin,
        standardHeaders: 'draft-8',
        legacyHeaders: false,
        // Anyone can send X-Forwarded-For; whether to believe it is WEB_TRUST_PROXY's business, not a warning's.
        validate: { xForwardedForHeader: false },
        handler: (_req, res) => sendError(res, 429, 'rate_limited', `more than ${config.rateLimitPerMin} requests per minute`),
      }),
    );
  }
  const failures = new FailureLimiter(config.authFailuresPerMin, 60_000, now);
  if (config.authToken) app.use(failures.middleware());
  app.use(
    requireToken({
      token: config.authToken,
      open: openPath,
      onFailure: (req) => {
        failures.fail(req.ip ?? '');
        metrics.authFailures.inc();
      },
    }),
  );
  app.get('/metrics', async (_req, res, next) => {
    try {
      res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
    } catch (err) {
      next(err);
    }
  });

  app.get('/api/status', (req, res) => {
    noQuery(req);
    res.type(JSON_TYPE).set('Cache-Control', 'no-store').send(JSON.stringify({ status: reader.status() }));
  });
  /** 503 when nothing can be served; the body still carries the status that explains why. */
  function nothingYet(res: Response): boolean {
    if (reader.snapshot()) return false;
    const status = reader.status();
    res.status(503).type(JSON_TYPE).set('Cache-Control', 'no-store').send(JSON.stringify({ error: { code: status.state, message: status.message }, status }));
    return true;
  }

  app.get('/api/symbols', (req, res) => {
    const query = req.query as Record<string, unknown>;
    if (Object.keys(query).length === 0) {
      if (nothingYet(res)) return;
      sendFast(req, res, fastBodies().symbols);
      return;
    }
    const q: SymbolsQuery = parseQuery(symbolsQuerySchema, query);
    if (nothingYet(res)) return;
    const snap = reader.snapshot();
    const data = snap ? { ...snap.symbols, rows: applySymbolsQuery(snap.symbols.rows, q) } : null;
    res.type(JSON_TYPE).set('Cache-Control', 'no-store').send(body(reader.status(), snap, data ? JSON.stringify(data) : null));
  });
  app.get('/api/overview', (req, res) => {
    noQuery(req);
    if (nothingYet(res)) return;
    sendFast(req, res, fastBodies().overview);
  });
  app.get('/api/movers', (req, res) => {
    noQuery(req);
    if (nothingYet(res)) return;
    const snap = reader.snapshot();
    const movers = snap ? { gainers: snap.overview.gainers, losers: snap.overview.losers, scoreMovers: snap.overview.scoreMovers } : null;
    res.type(JSON_TYPE).set('Cache-Control', 'no-store').send(body(reader.status(), snap, movers ? JSON.stringify(movers) : null));
  });
  app.get('/api/symbols/:symbol', async (req, res) => {
    noQuery(req);
    const symbol = symbolParam(req);
    const { envelope } = await readOnDemand('symbol', keys.symbol(symbol));
    if (!envelope) {
      const known = reader.snapshot()?.bySymbol.has(symbol);
      // Tracked but not scored yet (warming up): an answer with no data, and the status says why.
      if (known) return sendEnvelope(res, null, null);
      throw new HttpError(404, 'unknown_symbol', `${symbol} is not tracked`);
    }
    sendEnvelope(res, envelope, envelope.data, true);
  });
  app.get('/api/symbols/:symbol/history', async (req, res) => {
    noQuery(req);
    const symbol = symbolParam(req);
    const { envelope } = await readOnDemand('history', keys.history(symbol));
    if (!envelope) {
      if (reader.snapshot()?.bySymbol.has(symbol)) return sendEnvelope(res, null, { symbol, points: [] });
      throw new HttpError(404, 'unknown_symbol', `${symbol} is not tracked`);
    }
    sendEnvelope(res, envelope, envelope.data);
  });
  for (const [route, kind, key] of [
    ['/api/calibration', 'calibration', keys.calibration()],
    ['/api/alerts', 'alerts', keys.alerts()],
    ['/api/timeline', 'timeline', keys.timeline()],
  ] as const) {
    app.get(route, async (req, res) => {
      noQuery(req);
      const { envelope } = await readOnDemand(kind, key);
      sendEnvelope(res, envelope, envelope ? envelope.data : null, true);
    });
  }
  app.get('/api/timeline/:minute', async (req, res) => {
    noQuery(req);
    const raw = String(req.params.minute);
    if (!/^\d{10,14}$/.test(raw) || Number(raw) % 60_000 !== 0) throw new HttpError(400, 'bad_parameter', 'minute must be a timestamp in ms on a whole minute');
    const { envelope } = await readOnDemand('snapshot', keys.snapshot(Number(raw)));
    if (!envelope) throw new HttpError(404, 'unknown_minute', 'no snapshot recorded for that minute');
    sendEnvelope(res, envelope, envelope.data);
  });
  // HEAD says what a stream would be without opening one (and without counting as a client).
  app.head('/api/stream', (req, res) => {
    noQuery(req);
    res.writeHead(200, StreamHub.HEADERS).end();
  });
  app.get('/api/stream', (req, res) => {
    noQuery(req);
    const raw = req.headers['last-event-id'];
    const lastId = raw === undefined ? undefined : String(raw);
    // EventSource only ever sends back an id we gave it: a generation number.
    if (lastId !== undefined && !/^\d{1,20}$/.test(lastId)) throw new HttpError(400, 'bad_header', 'Last-Event-ID must be a generation number');
    const ip = req.ip ?? '';
    const refused = hub.admit(ip);
    if (refused) {
      metrics.sseRefused.inc();
      res.setHeader('Retry-After', '10');
      return sendError(res, 503, refused.code, refused.message);
    }
    hub.add(res, lastId, ip, req.acceptsEncodings('gzip', 'identity') === 'gzip');
  });
  app.all(API_ROUTES, methodNotAllowed);
  app.use('/api', (req, _res, next) => next(new HttpError(404, 'not_found', `no API route ${req.method} ${req.path.slice(0, MAX_URL_LENGTH)}`)));

  app.get('/', (req, res) => {
    // no-cache: the page is revalidated on every load (a 304 while the build is the same), so a deploy's new module
    // names reach the browser at once.
    if (indexHtml === null) return sendError(res, 503, 'client_not_built', 'the dashboard is not built: run npm run build');
    res.set({ 'Cache-Control': 'no-cache', ETag: indexHtml.etag });
    if (req.fresh) return res.status(304).end();
    res.type('html').send(indexHtml.html);
  });
  app.use('/static', express.static(STATIC_DIR, { maxAge: '1h', index: false }));
  // Only the bundle's hashed modules are served, and for good: a new build has new names.
  // (Other methods go on to the 405 below.)
  app.use('/js', (req, _res, next) =>
    CLIENT_MODULE.test(req.path) || (req.method !== 'GET' && req.method !== 'HEAD') ? next() : next(new HttpError(404, 'not_found', `not found: ${req.path.slice(0, 200)}`)),
  );
  app.use('/js', express.static(CLIENT_DIR, { index: false, fallthrough: true, setHeaders: (res) => res.setHeader('Cache-Control', IMMUTABLE) }));
  app.get('/vendor/lightweight-charts.mjs', (_req, res) => {
    res.set('Cache-Control', 'public, max-age=86400').type('text/javascript').sendFile(CHARTS_FILE);
  });
  app.all(['/', '/healthz', '/metrics', '/vendor/lightweight-charts.mjs', '/static/*rest', '/js/*rest'], methodNotAllowed);
  app.use((req, _res, next: NextFunction) => next(new HttpError(404, 'not_found', `not found: ${req.path.slice(0, 200)}`)));
  app.use(errorHandler((err, req) => logger.error('request failed', { path: req.path.slice(0, 200), error: err instanceof Error ? err.stack : String(err) })));

  // Alerts and the scoreboard change about once a minute: look every couple of seconds and push changes to the stream.
  let extrasTimer: NodeJS.Timeout | null = null;
  async function pollExtras(): Promise<void> {
    for (const [event, kind, key] of [
      ['alerts', 'alerts', keys.alerts()],
      ['calibration', 'calibration', keys.calibration()],
    ] as const) {
      const { envelope } = await readOnDemand(kind, key);
      if (envelope) hub.publishExtra(event, JSON.stringify(envelope.data));
    }
  }

  let server: http.Server | null = null;
  return {
    reader,
    async start() {
      reader.start();
      hub.start();
      extrasTimer = setInterval(() => {
        pollExtras().catch((err) => logger.warn('alerts/calibration poll failed', { error: err instanceof Error ? err.message : String(err) }));
      }, EXTRAS_POLL_MS);
      extrasTimer.unref();
      // Slow-header and idle clients are cut off: all headers within headersTimeout, the request within
      // requestTimeout (an SSE stream is a finished request, so it is not affected), idle keep-alive after
      // keepAliveTimeout. Node checks these every connectionsCheckingInterval, so that is kept short.
      server = http.createServer(
        { headersTimeout: config.headersTimeoutMs, requestTimeout: config.requestTimeoutMs, connectionsCheckingInterval: Math.min(1000, config.headersTimeoutMs), requireHostHeader: false },
        app,
      );
      server.keepAliveTimeout = config.keepAliveTimeoutMs;
      server.on('checkExpectation', expectationFailed);
      server.on('clientError', clientErrorHandler((err) => metrics.clientErrors.inc({ code: err.code ?? 'unknown' })));
      await new Promise<void>((resolve, reject) => {
        server!.once('error', reject);
        server!.listen(config.port, config.host, () => resolve());
      });
      const port = (server.address() as AddressInfo).port;
      logger.info('web listening', { port, host: config.host, memcached: config.memcached.servers, keyPrefix: config.keyPrefix, auth: Boolean(config.authToken) });
      if (!config.authToken && !isLoopbackHost(config.host)) {
        logger.warn('WEB IS REACHABLE BEYOND THIS MACHINE WITHOUT AUTHENTICATION', {
          host: config.host,
          port,
          advice: 'set WEB_AUTH_TOKEN (at least 16 characters) or bind WEB_HOST to 127.0.0.1 (in a container, the published port decides who can reach it)',
        });
      }
      return { port, url: `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${port}` };
    },
    async stop() {
      if (extrasTimer) clearInterval(extrasTimer);
      hub.close();
      await reader.stop();
      if (server) {
        const s = server;
        server = null;
        await new Promise<void>((resolve) => {
          s.close(() => resolve());
          s.closeIdleConnections();
          setTimeout(() => s.closeAllConnections(), 1000).unref();
        });
      }
      if (!deps.cache) cache.close();
      logger.info('web stopped');
    },
  };
}
