import os from 'node:os';
import { type Cache, createCache } from '@confluence/cache';
import { createEngine, type Engine, type EngineConfigInput } from '@confluence/confluence';
import { createKeys } from '@confluence/contracts';
import type { AnalyzerConfig } from '@confluence/config';
import { type Logger, createLogger, createRateLimitedLog, errorMessage } from '@confluence/logger';
import { PublishCycle } from './cycle/publish-cycle';
import { Scoreboard } from './cycle/scoreboard';
import { SignalsWiring } from './cycle/signals-wiring';
import { HealthReport, HealthServer } from './health/api';
import { createIntake, type Intake, intakeOptionsFromConfig } from './intake/intake';
import { createAnalyzerMetrics } from './metrics';
import { inThreadScorer, ScoringPool, type Scorer } from './scoring/pool';
import { runShutdown } from './shutdown';
import { createSignals, type Signals } from './signals';

export interface AnalyzerDeps {
  logger?: Logger;
  cache?: Cache;
  intake?: Intake;
  engine?: Engine;
  signals?: Signals;
}

export interface AnalyzerApp {
  start(): Promise<{ port: number }>;
  stop(): Promise<void>;
}

/** Bounds of the shutdown steps; together well under the 4.5 s the process shell allows before exiting 1. */
const STOP_INTAKE_MS = 1_000;
const STOP_CYCLE_MS = 1_500;
const STOP_SIGNALS_MS = 1_000;
const STOP_SERVER_MS = 500;

/** The analyzer's composition root: intake, engine, signals, the publish cycle and the health API, and their lifecycle. */
export function createAnalyzerApp(config: AnalyzerConfig, deps: AnalyzerDeps = {}): AnalyzerApp {
  const logger = deps.logger ?? createLogger({ service: 'analyzer', level: config.logLevel, format: config.logFormat });
  const analyzerId = config.analyzerId ?? `${os.hostname()}-${process.pid}`;
  const driverLog = createRateLimitedLog(logger, 10_000);
  const cache = deps.cache ?? createCache({ ...config.memcached, onDriverLog: (m) => driverLog('warn', 'memjs', 'memcached driver', { detail: m }) });
  const keys = createKeys(config.keyPrefix);
  // A bad weight table is a config error at start, never silently ignored.
  // The engine validates names and sums at run time; the cast only widens the static type of a parsed env value.
  const engineConfig = config.componentWeights ? ({ componentWeights: config.componentWeights } as EngineConfigInput) : undefined;
  const engine = deps.engine ?? createEngine(engineConfig);
  // Live and simulated markets may score in worker threads (ANALYZER_SCORING_WORKERS, scoring/pool.ts). A replay
  // scores in this thread: its market-minute samples and its cycles share one engine's label history. So does an
  // injected engine (tests).
  const scorer: Scorer =
    deps.engine || config.scoringWorkers === 0 || config.marketSource === 'replay'
      ? inThreadScorer(engine)
      : new ScoringPool({
          workers: config.scoringWorkers,
          engineConfig,
          onRestart: (r) => {
            metrics.scoringWorkerRestarts.inc();
            logger.warn('scoring worker restarted', { worker: r.worker, reason: r.reason, symbols: r.symbols });
          },
        });
  const intake = deps.intake ?? createIntake(intakeOptionsFromConfig(config, logger.child({ component: 'intake' })));
  const signals =
    deps.signals ??
    createSignals({
      dataDir: config.dataDir,
      source: config.marketSource,
      shard: config.shard,
      logger: logger.child({ component: 'signals' }),
      webhookUrl: config.alertWebhookUrl,
      format: config.alertFormat,
      rulesFile: config.alertRulesFile,
    });
  const metrics = createAnalyzerMetrics({
    intake: () => intake.health().totals,
    cacheErrors: () => cache.stats().errors,
    symbols: () => intake.symbols().length,
    repairs: () => {
      const h = intake.health();
      return { done: h.warmup.repairsDone, active: h.symbols.repairing, clockOffsetMs: h.clock.offsetMs };
    },
  });
  const startedAt = Date.now();
  const source = config.marketSource;
  const board = new Scoreboard(signals, config.historyIntervalMs);
  const wiring = new SignalsWiring({ intake, engine, signals, board });
  const common = { analyzerId, startedAt, source, shard: config.shard, publishIntervalMs: config.publishIntervalMs, intake, signals, board };
  const cycle = new PublishCycle({ ...common, cache, keys, scorer, wiring, metrics, logger, driverLog });
  const report = new HealthReport({ ...common, memcachedServers: config.memcached.servers, cycle: cycle.stats, cache });
  const health = new HealthServer(report, metrics);
  let stopping = false;

  return {
    async start() {
      const port = await health.listen(config.port, config.host);
      logger.info('analyzer starting', {
        analyzerId,
        port,
        host: config.host,
        source,
        memcached: config.memcached.servers,
        keyPrefix: config.keyPrefix,
        shard: config.shard ?? null,
      });
      wiring.attach();
      // Cycles run from the start, so the heartbeat says "Bybit unreachable" while the intake keeps retrying,
      // rather than leaving the dashboard waiting for a first publish that never comes.
      cycle.start();
      const starting = intake.start();
      // A recording that cannot be read is a failed start; the exchange is retried in the background.
      if (intake.marketClock === 'recording') await starting;
      else starting.catch((err) => logger.error('exchange intake stopped', { error: errorMessage(err) }));
      return { port };
    },
    async stop() {
      if (stopping) return;
      stopping = true;
      wiring.stop();
      cycle.stop();
      // The SQLite store is always closed (its WAL checkpointed) well within the shutdown deadline.
      await runShutdown(logger, [
        { what: 'intake', run: () => intake.stop(), boundMs: STOP_INTAKE_MS },
        // Finish the cycle in flight if it is quick; otherwise abandon it (its publish has its own timeouts).
        { what: 'cycle', run: () => cycle.inFlight(), boundMs: STOP_CYCLE_MS },
        // Alert delivery aborts its request in flight; the alert stays pending in SQLite for the next start.
        { what: 'signals', run: () => signals.close(), boundMs: STOP_SIGNALS_MS },
        { what: 'scoring workers', run: () => scorer.close(), boundMs: STOP_SIGNALS_MS },
        { what: 'health server', run: () => health.close(), boundMs: STOP_SERVER_MS },
      ]);
      if (!deps.cache) cache.close();
      logger.info('analyzer stopped');
    },
  };
}
