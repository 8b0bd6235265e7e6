import type { Router } from 'express';
import { HttpError } from '../http-errors';
import { noQuery, sendEnvelope } from '../responses';
import { readOnlyRouter, type RouteContext } from './context';

/** The analyzer's signals: track record (calibration), alerts, the time-travel timeline and one minute's snapshot. */
export function signalsRouter({ reader, keys, onDemand }: RouteContext): Router {
  const router = readOnlyRouter();
  for (const [route, kind, key] of [
    ['/api/calibration', 'calibration', keys.calibration()],
    ['/api/alerts', 'alerts', keys.alerts()],
    ['/api/timeline', 'timeline', keys.timeline()],
  ] as const) {
    router.get(route, async (req, res) => {
      noQuery(req);
      const { envelope } = await onDemand.read(kind, key);
      sendEnvelope(reader, res, envelope, envelope ? envelope.data : null, true);
    });
  }
  router.get('/api/timeline/:minute', async (req, res) => {
    noQuery(req);
    const raw = String(req.params.minute);
    if (!/^\d{10,14}$/.test(raw) || Number(raw) % 60_000 !== 0) throw new HttpError(400, 'bad_parameter', 'minute must be a timestamp in ms on a whole minute');
    const { envelope } = await onDemand.read('snapshot', keys.snapshot(Number(raw)));
    if (!envelope) throw new HttpError(404, 'unknown_minute', 'no snapshot recorded for that minute');
    sendEnvelope(reader, res, envelope, envelope.data);
  });
  return router;
}
