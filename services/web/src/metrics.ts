import client from 'prom-client';

export interface WebMetrics {
  registry: client.Registry;
  httpDuration: client.Histogram<'route' | 'method' | 'status'>;
  sseClients: client.Gauge;
  statusChanges: client.Counter<'state'>;
  cacheErrors: client.Counter;
  generationsSeen: client.Counter;
  authFailures: client.Counter;
  sseRefused: client.Counter;
  sseDropped: client.Counter<'reason'>;
  clientErrors: client.Counter<'code'>;
}

/** One registry per app instance, so two apps in one process (tests) never share counters. */
export function createWebMetrics(): WebMetrics {
  const registry = new client.Registry();
  registry.setDefaultLabels({ service: 'web' });
  client.collectDefaultMetrics({ register: registry });
  return {
    registry,
    httpDuration: new client.Histogram({
      name: 'confluence_web_request_duration_seconds',
      help: 'Web request latency by route',
      labelNames: ['route', 'method', 'status'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [registry],
    }),
    sseClients: new client.Gauge({ name: 'confluence_web_sse_clients', help: 'Connected Server-Sent Events clients', registers: [registry] }),
    statusChanges: new client.Counter({
      name: 'confluence_web_status_changes_total',
      help: 'Status changes seen by the web, by new state',
      labelNames: ['state'],
      registers: [registry],
    }),
    cacheErrors: new client.Counter({ name: 'confluence_web_memcached_errors_total', help: 'Memcached operations that failed', registers: [registry] }),
    generationsSeen: new client.Counter({ name: 'confluence_web_generations_total', help: 'New table generations read from Memcached', registers: [registry] }),
    authFailures: new client.Counter({
      name: 'confluence_web_auth_failures_total',
      help: 'Requests refused for a missing, wrong or malformed token',
      registers: [registry],
    }),
    sseRefused: new client.Counter({
      name: 'confluence_web_sse_refused_total',
      help: 'Streams refused because a stream cap was reached',
      registers: [registry],
    }),
    sseDropped: new client.Counter({
      name: 'confluence_web_sse_dropped_total',
      help: 'Streams the web closed: not_reading (a heartbeat found nothing taken) or too_far_behind (buffer cap)',
      labelNames: ['reason'],
      registers: [registry],
    }),
    clientErrors: new client.Counter({
      name: 'confluence_web_client_errors_total',
      help: "Connections Node's HTTP parser refused (malformed, oversized or too slow requests), by error code",
      labelNames: ['code'],
      registers: [registry],
    }),
  };
}
