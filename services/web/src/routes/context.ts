import { Router } from 'express';
import type { Keys } from '@confluence/contracts';
import type { FastBodies } from '../fast-bodies';
import type { WebMetrics } from '../metrics';
import type { OnDemandCache } from '../on-demand';
import type { Reader } from '../reader';
import type { StreamHub } from '../stream';

/** What the routers read from: the current view and status, the two caches, the stream hub, the metrics. */
export interface RouteContext {
  reader: Reader;
  keys: Keys;
  fast: FastBodies;
  onDemand: OnDemandCache;
  hub: StreamHub;
  metrics: WebMetrics;
}

/**
 * A Router for the read-only routes. OPTIONS leaves it at once: a nested Router would answer OPTIONS itself (200 and
 * its own Allow list), while the app answers every OPTIONS on a known path with its 405 handler (204, GET and HEAD).
 */
export function readOnlyRouter(): Router {
  const router = Router();
  router.use((req, _res, next) => (req.method === 'OPTIONS' ? next('router') : next()));
  return router;
}
