import type { Router } from 'express';
import { HttpError, sendError } from '../http-errors';
import { noQuery } from '../responses';
import { StreamHub } from '../stream';
import { readOnlyRouter, type RouteContext } from './context';

/** The SSE stream: one frame per accepted view, status changes, alerts and calibration. */
export function streamRouter({ hub, metrics }: Pick<RouteContext, 'hub' | 'metrics'>): Router {
  const router = readOnlyRouter();
  // HEAD says what a stream would be without opening one (and without counting as a client).
  router.head('/api/stream', (req, res) => {
    noQuery(req);
    res.writeHead(200, StreamHub.HEADERS).end();
  });
  router.get('/api/stream', (req, res) => {
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
  return router;
}
