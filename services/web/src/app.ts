import http from 'node:http';
import type { AddressInfo } from 'node:net';
import compression from 'compression';
import express, { type Express, type NextFunction } from 'express';
import { rateLimit } from 'express-rate-limit';
import { type Cache, createCache } from '@confluence/cache';
import { createKeys } from '@confluence/contracts';
import { type WebConfig, isLoopbackHost } from '@confluence/config';
import { type Logger, createLogger, createRateLimitedLog } from '@confluence/logger';
import { ExtrasPoller } from './extras-poller';
import { COMPRESS_THRESHOLD_BYTES, FastBodies } from './fast-bodies';
import { HttpError, errorHandler, sendError } from './http-errors';
import { clientErrorHandler, expectationFailed, methodNotAllowed } from './http-guards';
import { type WebMetrics, createWebMetrics } from './metrics';
import { OnDemandCache } from './on-demand';
import { Poller } from './poller';
import { Reader } from './reader';
import { clientRouter } from './routes/client';
import type { RouteContext } from './routes/context';
import { signalsRouter } from './routes/signals';
import { healthzRouter, statusRouter } from './routes/status';
import { streamRouter } from './routes/stream';
import { tableRouter } from './routes/table';
import { FailureLimiter, MAX_URL_LENGTH, hostCheck, requestLimits, requireToken, securityHeaders } from './security';
import { StreamHub } from './stream';

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
/** The other routes, for the same. */
const OTHER_ROUTES = ['/', '/healthz', '/metrics', '/vendor/lightweight-charts.mjs', '/static/*rest', '/js/*rest'];

/** The middleware in front of every route, and the open health check among them. */
function guardedApp(config: WebConfig, ctx: RouteContext, now: () => number): Express {
  const { metrics } = ctx;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');
  // Who the client is (rate limits, stream caps) and whether its connection is TLS (the cookie's Secure flag).
  app.set('trust proxy', config.trustProxy);
  app.use(requestLimits());
  app.use(securityHeaders());
  // gzip for the API and the page's scripts; bodies that are already encoded (the fast path) pass through
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
  app.use(healthzRouter(ctx));
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
  return app;
}

function routedApp(config: WebConfig, ctx: RouteContext, logger: Logger, now: () => number): Express {
  const app = guardedApp(config, ctx, now);
  app.use(statusRouter(ctx), tableRouter(ctx), signalsRouter(ctx), streamRouter(ctx));
  app.all(API_ROUTES, methodNotAllowed);
  app.use('/api', (req, _res, next) => next(new HttpError(404, 'not_found', `no API route ${req.method} ${req.path.slice(0, MAX_URL_LENGTH)}`)));
  app.use(clientRouter(logger));
  app.all(OTHER_ROUTES, methodNotAllowed);
  app.use((req, _res, next: NextFunction) => next(new HttpError(404, 'not_found', `not found: ${req.path.slice(0, 200)}`)));
  app.use(errorHandler((err, req) => logger.error('request failed', { path: req.path.slice(0, 200), error: err instanceof Error ? err.stack : String(err) })));
  return app;
}

/** The stream hub, fed by the poller: every new view and every status change goes out to the clients. */
function streamHub(config: WebConfig, poller: Poller, reader: Reader, metrics: WebMetrics): StreamHub {
  const hub = new StreamHub(
    () => reader.status(),
    (n) => metrics.sseClients.set(n),
    {
      maxClients: config.sseMaxClients,
      maxPerIp: config.sseMaxPerIp,
      heartbeatMs: config.sseHeartbeatMs,
    },
    (reason) => metrics.sseDropped.inc({ reason }),
  );
  poller.onChange((s) => {
    metrics.generationsSeen.inc();
    hub.publishSnapshot(s);
  });
  poller.onStatus((s) => {
    metrics.statusChanges.inc({ state: s.state });
    hub.publishStatus(s);
  });
  return hub;
}

/** The web's composition root: the reader and its poller, the caches, the stream, the routers, and the server. */
export function createApp(config: WebConfig, deps: WebDeps = {}): WebApp {
  const logger = deps.logger ?? createLogger({ service: 'web', level: config.logLevel, format: config.logFormat });
  const now = deps.now ?? Date.now;
  const driverLog = createRateLimitedLog(logger, 10_000, now);
  const cache = deps.cache ?? createCache({ ...config.memcached, onDriverLog: (m) => driverLog('warn', 'memjs', 'memcached driver', { detail: m }) });
  const keys = createKeys(config.keyPrefix);
  const metrics = createWebMetrics();
  const reader = new Reader({ cache, keys, logger, defaultPublishIntervalMs: config.publishIntervalMs, now });
  const poller = new Poller(reader, config.pollIntervalMs);
  const hub = streamHub(config, poller, reader, metrics);
  const onDemand = new OnDemandCache(reader, now, () => metrics.cacheErrors.inc());
  const ctx: RouteContext = { reader, keys, fast: new FastBodies(reader), onDemand, hub, metrics };
  const app = routedApp(config, ctx, logger, now);
  const extras = new ExtrasPoller(keys, onDemand, hub, logger);

  let server: http.Server | null = null;
  return {
    reader,
    async start() {
      poller.start();
      hub.start();
      extras.start();
      // Slow-header and idle clients are cut off: all headers within headersTimeout, the request within
      // requestTimeout (an SSE stream is a finished request, so it is not affected), idle keep-alive after
      // keepAliveTimeout. Node checks these every connectionsCheckingInterval, so that is kept short.
      const srv = http.createServer(
        {
          headersTimeout: config.headersTimeoutMs,
          requestTimeout: config.requestTimeoutMs,
          connectionsCheckingInterval: Math.min(1000, config.headersTimeoutMs),
          requireHostHeader: false,
        },
        app,
      );
      server = srv;
      srv.keepAliveTimeout = config.keepAliveTimeoutMs;
      srv.on('checkExpectation', expectationFailed);
      srv.on(
        'clientError',
        clientErrorHandler((err) => metrics.clientErrors.inc({ code: err.code ?? 'unknown' })),
      );
      await new Promise<void>((resolve, reject) => {
        srv.once('error', reject);
        srv.listen(config.port, config.host, () => resolve());
      });
      const port = (srv.address() as AddressInfo).port;
      logger.info('web listening', {
        port,
        host: config.host,
        memcached: config.memcached.servers,
        keyPrefix: config.keyPrefix,
        auth: Boolean(config.authToken),
      });
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
      extras.stop();
      hub.close();
      await poller.stop();
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
