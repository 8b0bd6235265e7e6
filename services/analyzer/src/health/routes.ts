import express, { type Express } from 'express';
import type { AnalyzerMetrics } from '../metrics';

export interface HealthSource {
  /** Reasons the analyzer is not ready; empty when ready. */
  notReadyReasons(): string[];
  details(): Record<string, unknown>;
}

/** The analyzer's own HTTP surface: liveness, readiness with reasons, details, Prometheus metrics. */
export function createHealthApp(source: HealthSource, metrics: AnalyzerMetrics): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  const json = (res: express.Response, status: number, body: unknown) =>
    res.status(status).type('application/json').set('Cache-Control', 'no-store').send(JSON.stringify(body));
  app.get('/health/live', (_req, res) => json(res, 200, { ok: true, service: 'analyzer' }));
  app.get('/health/ready', (_req, res) => {
    const reasons = source.notReadyReasons();
    json(res, reasons.length ? 503 : 200, { ready: reasons.length === 0, reasons });
  });
  app.get('/health', (_req, res) => json(res, 200, source.details()));
  app.get('/metrics', async (_req, res, next) => {
    try {
      res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
    } catch (err) {
      next(err);
    }
  });
  app.use((req, res) => json(res, 404, { error: { code: 'not_found', message: `no route ${req.method} ${req.path.slice(0, 200)}` } }));
  return app;
}
