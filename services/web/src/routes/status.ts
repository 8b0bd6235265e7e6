import type { Router } from 'express';
import { JSON_TYPE, noQuery, sendJsonText } from '../responses';
import { readOnlyRouter, type RouteContext } from './context';

/** The liveness check: outside the host check's exceptions, the rate limit and the token (see createApp). */
export function healthzRouter({ reader }: Pick<RouteContext, 'reader'>): Router {
  const router = readOnlyRouter();
  router.get('/healthz', (_req, res) => {
    const status = reader.status();
    res
      .type(JSON_TYPE)
      .set('Cache-Control', 'no-store')
      .send(JSON.stringify({ ok: true, service: 'web', state: status.state, cacheReachable: reader.isCacheReachable() }));
  });
  return router;
}

/** Prometheus metrics and the status on its own. */
export function statusRouter({ reader, metrics }: Pick<RouteContext, 'reader' | 'metrics'>): Router {
  const router = readOnlyRouter();
  router.get('/metrics', async (_req, res, next) => {
    try {
      res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
    } catch (err) {
      next(err);
    }
  });
  router.get('/api/status', (req, res) => {
    noQuery(req);
    sendJsonText(res, JSON.stringify({ status: reader.status() }));
  });
  return router;
}
