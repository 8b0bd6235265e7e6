import client from 'prom-client';

/** Counters the intake keeps as plain numbers; mirrored into Prometheus counters at scrape time. */
export interface IntakeCounterSource {
  byTopic: Readonly<Record<string, number>>;
  reconnects: number;
  resyncs: number;
  malformed: Readonly<Record<string, number>>;
  subscribeRejected: number;
  restErrors: number;
  rateLimited: number;
  messagesPerSec: number;
  /** Optional: counters of the live-run hardening (access blocks, connection attempts deferred, empty snapshots). */
  accessBlocked?: number;
  connectDeferred?: number;
  emptySnapshots?: number;
  fastDecoded?: number;
  fastDecodeErrors?: number;
  intakeThread?: boolean;
  intakeThreadRestarts?: number;
}

export interface AnalyzerMetrics {
  registry: client.Registry;
  cycleDuration: client.Histogram;
  publishDuration: client.Histogram;
  publishFailures: client.Counter;
  symbolsTracked: client.Gauge;
  scoringWorkers: client.Gauge;
  scoringWorkerRestarts: client.Counter;
}

/** Mirrors an ever-growing number into a counter by adding what it grew since the last scrape. */
function mirror(counter: client.Counter<string>, labels: Record<string, string>, seen: WeakMap<WeakKey, Map<string, number>>, value: number): void {
  let perCounter = seen.get(counter);
  if (!perCounter) {
    perCounter = new Map();
    seen.set(counter, perCounter);
  }
  const key = JSON.stringify(labels);
  const before = perCounter.get(key) ?? 0;
  if (value > before) counter.inc(labels, value - before);
  perCounter.set(key, Math.max(before, value));
}

export function createAnalyzerMetrics(sources: {
  intake: () => IntakeCounterSource;
  cacheErrors: () => number;
  symbols: () => number;
  /** Candle repairs completed; symbols repairing now; the clock offset to the exchange (ms). */
  repairs?: () => { done: number; active: number; clockOffsetMs: number | null };
}): AnalyzerMetrics {
  const registry = new client.Registry();
  registry.setDefaultLabels({ service: 'analyzer' });
  client.collectDefaultMetrics({ register: registry });
  const seen = new WeakMap<WeakKey, Map<string, number>>();
  // Registered first: the registry collects in registration order, so this refreshes the mirrored counters
  // below before they are written out in the same scrape.
  new client.Gauge({
    name: 'confluence_messages_per_second',
    help: 'Exchange messages per second (10 s window)',
    registers: [registry],
    collect() {
      const i = sources.intake();
      this.set(i.messagesPerSec);
      for (const [topic, n] of Object.entries(i.byTopic)) mirror(messages, { topic }, seen, n);
      mirror(reconnects, {}, seen, i.reconnects);
      mirror(resyncs, {}, seen, i.resyncs);
      for (const [reason, n] of Object.entries(i.malformed)) mirror(malformed, { reason }, seen, n);
      mirror(rejected, {}, seen, i.subscribeRejected);
      mirror(restErrors, {}, seen, i.restErrors);
      mirror(rateLimited, {}, seen, i.rateLimited);
      mirror(accessBlocked, {}, seen, i.accessBlocked ?? 0);
      mirror(connectDeferred, {}, seen, i.connectDeferred ?? 0);
      mirror(emptySnapshots, {}, seen, i.emptySnapshots ?? 0);
      mirror(fastDecoded, {}, seen, i.fastDecoded ?? 0);
      mirror(fastDecodeErrors, {}, seen, i.fastDecodeErrors ?? 0);
      intakeThread.set(i.intakeThread ? 1 : 0);
      mirror(intakeThreadRestarts, {}, seen, i.intakeThreadRestarts ?? 0);
      const r = sources.repairs?.();
      if (r) {
        mirror(repairsDone, {}, seen, r.done);
        repairing.set(r.active);
        if (r.clockOffsetMs !== null) clockOffset.set(r.clockOffsetMs / 1000);
      }
      mirror(cacheErrors, {}, seen, sources.cacheErrors());
    },
  });
  const intakeThread = new client.Gauge({
    name: 'confluence_intake_thread',
    help: 'Whether the exchange connections and the decoding run in the intake thread (1) or in the main thread (0)',
    registers: [registry],
  });
  const intakeThreadRestarts = new client.Counter({
    name: 'confluence_intake_thread_restarts_total',
    help: 'Intake threads restarted after they died',
    registers: [registry],
  });
  const messages = new client.Counter({
    name: 'confluence_messages_total',
    help: 'Exchange messages received, by topic family',
    labelNames: ['topic'],
    registers: [registry],
  });
  const reconnects = new client.Counter({ name: 'confluence_ws_reconnects_total', help: 'WebSocket reconnects', registers: [registry] });
  const resyncs = new client.Counter({ name: 'confluence_book_resyncs_total', help: 'Order book resyncs (gap or crossed book)', registers: [registry] });
  const malformed = new client.Counter({
    name: 'confluence_malformed_messages_total',
    help: 'Malformed or unknown exchange messages, by reason',
    labelNames: ['reason'],
    registers: [registry],
  });
  const rejected = new client.Counter({ name: 'confluence_subscribe_rejected_total', help: 'Subscriptions the exchange rejected', registers: [registry] });
  const restErrors = new client.Counter({ name: 'confluence_rest_errors_total', help: 'Failed exchange REST calls', registers: [registry] });
  const rateLimited = new client.Counter({
    name: 'confluence_rest_rate_limited_total',
    help: 'Exchange REST calls answered with a rate limit',
    registers: [registry],
  });
  const accessBlocked = new client.Counter({
    name: 'confluence_rest_access_blocked_total',
    help: 'Exchange REST answers that were an access-blocking HTTP 403 (not a rate limit)',
    registers: [registry],
  });
  const connectDeferred = new client.Counter({
    name: 'confluence_ws_connect_deferred_total',
    help: 'WebSocket connection attempts deferred by the pool-wide cap',
    registers: [registry],
  });
  const emptySnapshots = new client.Counter({
    name: 'confluence_book_empty_snapshots_total',
    help: 'Empty u=1 order-book snapshots (delisting or tick-size change)',
    registers: [registry],
  });
  const fastDecoded = new client.Counter({
    name: 'confluence_fast_decoded_messages_total',
    help: 'Exchange messages decoded by the exact fast scanner instead of JSON.parse',
    registers: [registry],
  });
  const fastDecodeErrors = new client.Counter({
    name: 'confluence_fast_decode_errors_total',
    help: 'Exchange messages the fast scanner failed on (a bug; each was decoded by the general path)',
    registers: [registry],
  });
  const repairsDone = new client.Counter({ name: 'confluence_candle_repairs_total', help: 'Candle gaps backfilled over REST', registers: [registry] });
  const repairing = new client.Gauge({ name: 'confluence_symbols_repairing', help: 'Symbols whose candles are being repaired', registers: [registry] });
  const clockOffset = new client.Gauge({
    name: 'confluence_exchange_clock_offset_seconds',
    help: 'Exchange clock minus the host clock',
    registers: [registry],
  });
  const cacheErrors = new client.Counter({ name: 'confluence_memcached_errors_total', help: 'Memcached operations that failed', registers: [registry] });
  const symbolsTracked = new client.Gauge({
    name: 'confluence_symbols_tracked',
    help: 'Symbols in the analyzer universe',
    registers: [registry],
    collect() {
      this.set(sources.symbols());
    },
  });
  return {
    registry,
    symbolsTracked,
    cycleDuration: new client.Histogram({
      name: 'confluence_cycle_duration_seconds',
      help: 'Scoring cycle duration',
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    publishDuration: new client.Histogram({
      name: 'confluence_publish_duration_seconds',
      help: 'Time to publish one generation to Memcached',
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    scoringWorkers: new client.Gauge({ name: 'confluence_scoring_workers', help: 'Worker threads scoring (0: the main thread scores)', registers: [registry] }),
    scoringWorkerRestarts: new client.Counter({
      name: 'confluence_scoring_worker_restarts_total',
      help: 'Scoring worker threads restarted after they died or stalled',
      registers: [registry],
    }),
    publishFailures: new client.Counter({ name: 'confluence_publish_failures_total', help: 'Publish cycles that failed', registers: [registry] }),
  };
}
