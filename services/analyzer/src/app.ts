import http from 'node:http';
import os from 'node:os';
import { AddressInfo } from 'node:net';
import { Cache, CacheUnavailableError, createCache, getEnvelope } from '@confluence/cache';
import { createEngine, Engine, EngineConfigInput } from '@confluence/confluence';
import { HeartbeatData, SymbolDetail, SymbolRow, computeOverview, createKeys } from '@confluence/contracts';
import type { AnalyzerConfig } from '@confluence/config';
import { Logger, createLogger, createRateLimitedLog } from '@confluence/logger';
import { createHealthApp } from './health/routes';
import { HistoryStore } from './history';
import { createIntake, Intake, intakeOptionsFromConfig } from './intake/intake';
import { createAnalyzerMetrics } from './metrics';
import { CacheMarker } from './publisher/cache-marker';
import { Publisher, PublishResult } from './publisher/publisher';
import { Scored, scoreAllSync, toDetail, toRow } from './scoring/cycle';
import { inThreadScorer, ScoringPool, type Scorer } from './scoring/pool';
import { createSignals, Signals } from './signals';
import { MoveTracker } from './signals/moves';

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

/** A heartbeat older than this many intervals makes the analyzer not ready (the web calls it stale at the same age). */
const READY_STALE_INTERVALS = 3;
/** Silence from the exchange this long counts as a feed problem in the heartbeat. */
const FEED_SILENT_MS = 15_000;
const HISTORY_LOAD_BATCH = 50;
/** Bounds of the shutdown steps; together well under the 4.5 s the process shell allows before exiting 1. */
const STOP_INTAKE_MS = 1_000;
const STOP_CYCLE_MS = 1_500;
const STOP_SIGNALS_MS = 1_000;
const STOP_SERVER_MS = 500;

export function createAnalyzerApp(config: AnalyzerConfig, deps: AnalyzerDeps = {}): AnalyzerApp {
  const logger = deps.logger ?? createLogger({ service: 'analyzer', level: config.logLevel, format: config.logFormat });
  const analyzerId = config.analyzerId ?? `${os.hostname()}-${process.pid}`;
  const driverLog = createRateLimitedLog(logger, 10_000);
  const cache =
    deps.cache ??
    createCache({ ...config.memcached, onDriverLog: (m) => driverLog('warn', 'memjs', 'memcached driver', { detail: m }) });
  const keys = createKeys(config.keyPrefix);
  // A bad weight table is a config error at start, never silently ignored.
  // The engine validates names and sums at run time; the cast only widens the static type of a parsed env value.
  const engineConfig = config.componentWeights ? ({ componentWeights: config.componentWeights } as EngineConfigInput) : undefined;
  const engine = deps.engine ?? createEngine(engineConfig);
  // Live and simulated markets score in worker threads (see scoring/pool.ts). A replay scores in this thread: its
  // market-minute samples and its cycles share one engine's label history. So does an injected engine (tests).
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
  const publisher = new Publisher({ cache, keys, analyzerId, source: config.marketSource, shard: config.shard });
  const marker = new CacheMarker(cache, keys.writerMarker(config.shard), analyzerId);
  const history = new HistoryStore();
  const moves = new MoveTracker();
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

  let generation = 0;
  let lastCycleAt = 0;
  let lastCycleMs = 0;
  let lastPublish: PublishResult | null = null;
  let lastPublishOkAt = 0;
  let publishFailures = 0;
  let cacheLosses = 0;
  let lastHistoryAt = 0;
  let historyDirty = false;
  let lastMessages = -1;
  let lastMessageWallAt: number | null = null;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;
  let stopping = false;
  let server: http.Server | null = null;
  let lastRows: SymbolRow[] = [];

  function nextGeneration(): number {
    // Monotonic across restarts without reading anything back: never below the wall clock in ms.
    generation = Math.max(generation + 1, Date.now());
    return generation;
  }

  /** Reads `history:*` back for symbols not loaded yet, so a restart keeps the charts. */
  async function loadHistories(symbols: readonly string[]): Promise<void> {
    const todo = symbols.filter((s) => !history.isLoaded(s)).slice(0, HISTORY_LOAD_BATCH);
    if (!todo.length) return;
    await Promise.all(
      todo.map(async (symbol) => {
        try {
          const stored = await getEnvelope(cache, 'history', keys.history(symbol));
          if (stored && stored.result.ok) history.restore(symbol, stored.result.envelope.data.points);
          else history.markLoaded(symbol);
        } catch (err) {
          if (!(err instanceof CacheUnavailableError)) history.markLoaded(symbol);
        }
      }),
    );
  }

  function feedState(now: number): HeartbeatData['intake'] {
    const h = intake.health();
    const messages = Object.values(h.totals.byTopic).reduce((a, b) => a + b, 0);
    if (messages !== lastMessages) {
      lastMessages = messages;
      lastMessageWallAt = messages > 0 ? now : lastMessageWallAt;
    }
    const silent = lastMessageWallAt !== null && now - lastMessageWallAt > FEED_SILENT_MS && h.state !== 'closed';
    const connected = h.state === 'connected' && !silent;
    const lastError = h.connections.map((c) => c.lastError).find((e) => e) ?? null;
    const blocked = h.accessBlock !== null;
    return {
      state: h.state,
      connected: connected || h.state === 'closed',
      lastMessageAt: lastMessageWallAt,
      reconnects: h.totals.reconnects,
      detail: h.state === 'closed' ? 'replay finished' : blocked ? h.accessBlock!.message : silent ? 'no exchange message for a while' : (lastError?.slice(0, 300) ?? null),
      accessBlocked: blocked,
      repairing: h.symbols.repairing,
      clockOffsetMs: h.clock.offsetMs,
    };
  }

  /** When each symbol's published direction label began (market time), for "Bullish for 12 min". */
  const directionSince = new Map<string, { direction: SymbolRow['direction']; since: number }>();
  /** The score's change over 15 min and 1 h from the history, and how long the label has held. */
  function addTrend(row: SymbolRow, marketNow: number): void {
    const change = (ms: number): number | null => {
      const then = row.score === null ? null : history.scoreAt(row.symbol, marketNow - ms);
      return then === null || row.score === null ? null : Math.round((row.score - then) * 10) / 10;
    };
    row.scoreChange15m = change(15 * 60_000);
    row.scoreChange1h = change(60 * 60_000);
    const held = directionSince.get(row.symbol);
    if (row.direction === null) directionSince.delete(row.symbol);
    else if (!held || held.direction !== row.direction) directionSince.set(row.symbol, { direction: row.direction, since: marketNow });
    row.directionSince = row.direction === null ? null : (directionSince.get(row.symbol)?.since ?? null);
  }

  function buildRows(scored: readonly Scored[], marketNow: number): { rows: SymbolRow[]; details: Map<string, SymbolDetail>; pending: string[] } {
    const rows: SymbolRow[] = [];
    const details = new Map<string, SymbolDetail>();
    const pending: string[] = [];
    for (const s of scored) {
      const move = moves.update(s.symbol, s.result, marketNow);
      const row = toRow(s, move);
      addTrend(row, marketNow);
      rows.push(row);
      const detail = toDetail(s, move, signals.bandRecord(s.result ? s.result.score : null));
      if (detail) details.set(s.symbol, detail);
      if (!s.result) pending.push(s.symbol);
    }
    rows.sort((a, b) => a.symbol.localeCompare(b.symbol));
    return { rows, details, pending };
  }

  function addHistory(rows: readonly SymbolRow[], ts: number): void {
    lastHistoryAt = ts;
    for (const r of rows) if (r.score !== null || r.price !== null) history.add(r.symbol, [ts, r.score, r.price]);
    historyDirty = true;
  }

  /**
   * Market-minute hook: samples the scoreboard and records the time-travel snapshot. In a replay at full
   * speed many market minutes pass between two publish cycles, so the rows are scored right here, at the
   * minute, from the state as it is at that moment; live, the last cycle's rows are at most one interval old.
   */
  function onMinute(minuteTs: number): void {
    if (stopping) return;
    let rows = lastRows;
    if (config.marketSource === 'replay') {
      rows = buildRows(scoreAllSync(engine, intake, minuteTs), minuteTs).rows;
      lastRows = rows;
      if (minuteTs - lastHistoryAt >= config.historyIntervalMs) addHistory(rows, minuteTs);
      signals.onCycle(rows, minuteTs, true);
    }
    if (rows.length) signals.onMinute(minuteTs, rows);
  }

  /** Everything the analyzer holds is written again: details, table, history, scoreboard, alerts, time-travel. */
  function writeEverythingBack(): void {
    publisher.invalidate();
    signals.invalidate();
    historyDirty = true;
  }

  /** A Memcached that restarted (or was flushed) between two cycles fails no write: only the missing marker tells. */
  async function checkCacheLoss(): Promise<void> {
    try {
      if (!(await marker.check())) return;
      // The first check of a run finds a fresh cache or one the previous run filled; either way everything goes out.
      if (lastPublishOkAt !== 0) {
        cacheLosses++;
        logger.warn('memcached lost our values (restart, flush or eviction); writing everything back', { losses: cacheLosses });
      }
      writeEverythingBack();
    } catch (err) {
      // Unreachable: the publish of this cycle fails too and says so.
      if (!(err instanceof CacheUnavailableError)) throw err;
    }
  }

  async function cycle(): Promise<void> {
    const wallStart = Date.now();
    await checkCacheLoss();
    const marketNow = intake.now();
    const symbols = intake.symbols();
    await loadHistories(symbols);
    const scored: Scored[] = await scorer.scoreAll(intake, marketNow);
    const { rows, details, pending } = buildRows(scored, marketNow);
    lastRows = rows;
    if (config.marketSource !== 'replay' && marketNow - lastHistoryAt >= config.historyIntervalMs) addHistory(rows, marketNow);
    const now = Date.now();
    const warm = intake.health().warmup;
    const gen = nextGeneration();
    const feed = feedState(now);
    // Alerts never fire on stale or gapped data: the feed must be up, and each row carries its own dataOk.
    if (config.marketSource !== 'replay') signals.onCycle(rows, marketNow, feed.connected && feed.state === 'connected');
    lastCycleMs = now - wallStart;
    metrics.cycleDuration.observe(lastCycleMs / 1000);
    metrics.scoringWorkers.set(scorer.workers);
    const heartbeat: HeartbeatData = {
      analyzerId,
      generation: gen,
      startedAt,
      lastCycleAt: now,
      lastCycleMs,
      publishIntervalMs: config.publishIntervalMs,
      symbolCount: symbols.length,
      scoredCount: rows.length - pending.length,
      tableComplete: symbols.length > 0 && pending.length === 0,
      warmup: { done: warm.done, total: warm.total, complete: warm.complete },
      intake: feed,
      shard: config.shard ?? null,
    };
    const result = await publisher.publish({ generation: gen, producedAt: now, details, symbols: { rows, pending, dropped: 0 }, overview: computeOverview(rows), heartbeat });
    lastPublish = result;
    metrics.publishDuration.observe(result.durationMs / 1000);
    if (result.ok) {
      lastPublishOkAt = now;
      lastCycleAt = now;
      const sig = await signals.publish(cache, keys, { generation: gen, producedAt: now, analyzerId, source: config.marketSource });
      if (!sig.ok) driverLog('warn', 'signals', 'signals publish failed; will retry', { error: sig.error });
      if (historyDirty) {
        try {
          await publisher.publishHistory(symbols.map((s) => history.get(s)), gen, now);
          historyDirty = false;
        } catch (err) {
          logger.warn('history publish failed', { error: err instanceof Error ? err.message : String(err) });
        }
      }
    } else {
      publishFailures++;
      metrics.publishFailures.inc();
      // After Memcached comes back (possibly empty) the next good cycle rewrites everything, history and signals included.
      writeEverythingBack();
      driverLog('warn', 'publish', 'publish failed; will retry next cycle', { error: result.error });
    }
  }

  function schedule(): void {
    if (stopping) return;
    const delay = Math.max(0, config.publishIntervalMs - (Date.now() % config.publishIntervalMs));
    timer = setTimeout(() => {
      running = cycle()
        .catch((err) => logger.error('cycle failed', { error: err instanceof Error ? err.stack : String(err) }))
        .finally(() => {
          running = null;
          schedule();
        });
    }, delay);
  }

  function notReadyReasons(): string[] {
    const reasons: string[] = [];
    const h = intake.health();
    if (h.state !== 'connected' && h.state !== 'closed') reasons.push(`exchange feed ${h.state}`);
    if (h.accessBlock) reasons.push(`${h.accessBlock.message} since ${new Date(h.accessBlock.since).toISOString()}`);
    const age = Date.now() - lastPublishOkAt;
    if (lastPublishOkAt === 0) reasons.push('no successful publish yet');
    else if (age > READY_STALE_INTERVALS * config.publishIntervalMs) reasons.push(`last successful publish ${Math.round(age / 1000)} s ago`);
    if (lastPublish && !lastPublish.ok) reasons.push(`memcached: ${lastPublish.error}`);
    return reasons;
  }

  function details(): Record<string, unknown> {
    const h = intake.health();
    const now = Date.now();
    return {
      service: 'analyzer',
      analyzerId,
      source: config.marketSource,
      shard: config.shard ?? null,
      uptimeS: Math.round((now - startedAt) / 1000),
      generation,
      symbolsTracked: intake.symbols().length,
      scored: lastRows.filter((r) => r.score !== null).length,
      lastCycleMs,
      lastCycleAgeMs: lastCycleAt ? now - lastCycleAt : null,
      publish: { ok: lastPublish?.ok ?? null, lastOkAgeMs: lastPublishOkAt ? now - lastPublishOkAt : null, failures: publishFailures, cacheLossesDetected: cacheLosses, lastError: lastPublish?.error ?? null, lastDurationMs: lastPublish?.durationMs ?? null },
      memcached: { servers: config.memcached.servers, ...cache.stats() },
      signals: signals.health(),
      intake: h,
      symbols: Object.fromEntries(
        intake.symbols().map((s) => {
          const st = intake.symbolStatus(s);
          return [s, { warm: st?.warm ?? false, bookSynced: st?.bookSynced ?? false, repairing: st?.repairing ?? [], lastUpdateAgeMs: st?.lastUpdateAt ? now - st.lastUpdateAt : null, reason: st?.reason ?? null }];
        }),
      ),
    };
  }

  return {
    async start() {
      const healthApp = createHealthApp({ notReadyReasons, details }, metrics);
      server = http.createServer(healthApp);
      await new Promise<void>((resolve, reject) => {
        server!.once('error', reject);
        server!.listen(config.port, config.host, () => resolve());
      });
      const port = (server.address() as AddressInfo).port;
      logger.info('analyzer starting', { analyzerId, port, host: config.host, source: config.marketSource, memcached: config.memcached.servers, keyPrefix: config.keyPrefix, shard: config.shard ?? null });
      intake.onMinute(onMinute);
      // Cycles run from the start, so the heartbeat says "Bybit unreachable" while the intake keeps retrying,
      // rather than leaving the dashboard waiting for a first publish that never comes.
      schedule();
      const starting = intake.start();
      if (config.marketSource === 'replay') await starting;
      else starting.catch((err) => logger.error('exchange intake stopped', { error: err instanceof Error ? err.message : String(err) }));
      return { port };
    },
    async stop() {
      if (stopping) return;
      stopping = true;
      if (timer) clearTimeout(timer);
      // Every step has its own bound and a failing step does not skip the rest: the SQLite store is always closed
      // (its WAL checkpointed) well within the shutdown deadline.
      const step = async (what: string, run: () => Promise<unknown>, boundMs: number) => {
        let t: NodeJS.Timeout | undefined;
        const bound = new Promise<'late'>((r) => {
          t = setTimeout(() => r('late'), boundMs);
          t.unref();
        });
        try {
          if ((await Promise.race([run(), bound])) === 'late') logger.warn('shutdown step abandoned', { step: what, afterMs: boundMs });
        } catch (err) {
          logger.warn('shutdown step failed', { step: what, error: err instanceof Error ? err.message : String(err) });
        } finally {
          clearTimeout(t);
        }
      };
      await step('intake', () => intake.stop(), STOP_INTAKE_MS);
      // Finish the cycle in flight if it is quick; otherwise abandon it (its publish has its own timeouts).
      if (running) await step('cycle', () => running!, STOP_CYCLE_MS);
      // Alert delivery aborts its request in flight; the alert stays pending in SQLite for the next start.
      await step('signals', () => signals.close(), STOP_SIGNALS_MS);
      await step('scoring workers', () => scorer.close(), STOP_SIGNALS_MS);
      if (server) {
        const s = server;
        await step('health server', () => new Promise<void>((resolve) => {
          s.close(() => resolve());
          s.closeAllConnections();
        }), STOP_SERVER_MS);
      }
      if (!deps.cache) cache.close();
      logger.info('analyzer stopped');
    },
  };
}
