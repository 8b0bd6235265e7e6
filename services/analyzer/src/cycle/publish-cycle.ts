import { type Cache, CacheUnavailableError } from '@confluence/cache';
import { type HeartbeatData, type Keys, type MarketSource, type ShardId, computeOverview } from '@confluence/contracts';
import { errorMessage, type Logger, type createRateLimitedLog } from '@confluence/logger';
import type { Intake } from '../intake/intake';
import type { AnalyzerMetrics } from '../metrics';
import { CacheMarker } from '../publisher/cache-marker';
import { Publisher, type PublishResult } from '../publisher/publisher';
import type { Scorer } from '../scoring/pool';
import type { Signals } from '../signals';
import { FeedWatch } from './feed-watch';
import type { Scoreboard } from './scoreboard';
import type { SignalsWiring } from './signals-wiring';

export interface PublishCycleOptions {
  analyzerId: string;
  startedAt: number;
  publishIntervalMs: number;
  source: MarketSource;
  shard: ShardId | undefined;
  cache: Cache;
  keys: Keys;
  /** Scores the tracked symbols each cycle (in this thread or in worker threads). */
  scorer: Scorer;
  intake: Intake;
  signals: Signals;
  board: Scoreboard;
  wiring: SignalsWiring;
  metrics: AnalyzerMetrics;
  logger: Logger;
  /** Rate-limited warnings (a failing Memcached fails every cycle). */
  driverLog: ReturnType<typeof createRateLimitedLog>;
}

/** What the health API reports of the cycle. */
export interface CycleStats {
  generation: number;
  lastCycleAt: number;
  lastCycleMs: number;
  lastPublish: PublishResult | null;
  lastPublishOkAt: number;
  publishFailures: number;
  cacheLosses: number;
}

/**
 * The scoring-and-publish loop: at each publish interval (aligned to the wall clock) it scores every tracked symbol,
 * publishes details, table, overview and heartbeat as one generation, then signals and history; a Memcached that
 * lost our values, or a failed publish, makes the next good cycle write everything again.
 */
export class PublishCycle {
  readonly stats: CycleStats = { generation: 0, lastCycleAt: 0, lastCycleMs: 0, lastPublish: null, lastPublishOkAt: 0, publishFailures: 0, cacheLosses: 0 };
  private readonly publisher: Publisher;
  private readonly marker: CacheMarker;
  private readonly feed: FeedWatch;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;

  constructor(private readonly o: PublishCycleOptions) {
    this.publisher = new Publisher({ cache: o.cache, keys: o.keys, analyzerId: o.analyzerId, source: o.source, shard: o.shard });
    this.marker = new CacheMarker(o.cache, o.keys.writerMarker(o.shard), o.analyzerId);
    this.feed = new FeedWatch(o.intake);
  }

  /** Schedules the cycles; runs until stop(). */
  start(): void {
    if (this.stopped) return;
    const interval = this.o.publishIntervalMs;
    const delay = Math.max(0, interval - (Date.now() % interval));
    this.timer = setTimeout(() => {
      this.running = this.cycle()
        .catch((err) => this.o.logger.error('cycle failed', { error: err instanceof Error ? err.stack : String(err) }))
        .finally(() => {
          this.running = null;
          this.start();
        });
    }, delay);
  }

  /** No further cycle is scheduled (the one in flight, if any, runs on). */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  /** The cycle in flight (it never rejects), or null. */
  inFlight(): Promise<void> | null {
    return this.running;
  }

  private nextGeneration(): number {
    // Monotonic across restarts without reading anything back: never below the wall clock in ms.
    this.stats.generation = Math.max(this.stats.generation + 1, Date.now());
    return this.stats.generation;
  }

  /** Everything the analyzer holds is written again: details, table, history, scoreboard, alerts, time-travel. */
  private writeEverythingBack(): void {
    this.publisher.invalidate();
    this.o.signals.invalidate();
    this.o.board.historyDirty = true;
  }

  /** A Memcached that restarted (or was flushed) between two cycles fails no write: only the missing marker tells. */
  private async checkCacheLoss(): Promise<void> {
    try {
      if (!(await this.marker.check())) return;
      // The first check of a run finds a fresh cache or one the previous run filled; either way everything goes out.
      if (this.stats.lastPublishOkAt !== 0) {
        this.stats.cacheLosses++;
        this.o.logger.warn('memcached lost our values (restart, flush or eviction); writing everything back', { losses: this.stats.cacheLosses });
      }
      this.writeEverythingBack();
    } catch (err) {
      // Unreachable: the publish of this cycle fails too and says so.
      if (!(err instanceof CacheUnavailableError)) throw err;
    }
  }

  async cycle(): Promise<void> {
    const { o, stats } = this;
    const wallStart = Date.now();
    await this.checkCacheLoss();
    const marketNow = o.intake.now();
    const symbols = o.intake.symbols();
    await o.board.loadHistories(o.cache, o.keys, symbols);
    const { rows, details, pending } = await o.board.buildSliced(await o.scorer.scoreAll(o.intake, marketNow), marketNow);
    const now = Date.now();
    const warm = o.intake.health().warmup;
    const gen = this.nextGeneration();
    const feed = this.feed.state(now);
    o.wiring.afterCycle(marketNow, feed.connected && feed.state === 'connected');
    stats.lastCycleMs = now - wallStart;
    o.metrics.cycleDuration.observe(stats.lastCycleMs / 1000);
    o.metrics.scoringWorkers.set(o.scorer.workers);
    const heartbeat: HeartbeatData = {
      analyzerId: o.analyzerId,
      generation: gen,
      startedAt: o.startedAt,
      lastCycleAt: now,
      lastCycleMs: stats.lastCycleMs,
      lastPublishMs: stats.lastPublish?.durationMs ?? 0,
      publishIntervalMs: o.publishIntervalMs,
      symbolCount: symbols.length,
      scoredCount: rows.length - pending.length,
      tableComplete: symbols.length > 0 && pending.length === 0,
      warmup: { done: warm.done, total: warm.total, complete: warm.complete },
      intake: feed,
      shard: o.shard ?? null,
    };
    const result = await this.publisher.publish({
      generation: gen,
      producedAt: now,
      details,
      symbols: { rows, pending, dropped: 0 },
      overview: computeOverview(rows),
      heartbeat,
    });
    stats.lastPublish = result;
    o.metrics.publishDuration.observe(result.durationMs / 1000);
    if (result.ok) await this.afterPublish(gen, now, symbols);
    else {
      stats.publishFailures++;
      o.metrics.publishFailures.inc();
      // After Memcached comes back (possibly empty) the next good cycle rewrites everything, history and signals included.
      this.writeEverythingBack();
      o.driverLog('warn', 'publish', 'publish failed; will retry next cycle', { error: result.error });
    }
  }

  /** A good publish: signals and (when it changed) history follow under the same generation. */
  private async afterPublish(gen: number, now: number, symbols: readonly string[]): Promise<void> {
    const { o, stats } = this;
    stats.lastPublishOkAt = now;
    stats.lastCycleAt = now;
    const sig = await o.signals.publish(o.cache, o.keys, { generation: gen, producedAt: now, analyzerId: o.analyzerId, source: o.source });
    if (!sig.ok) o.driverLog('warn', 'signals', 'signals publish failed; will retry', { error: sig.error });
    if (!o.board.historyDirty) return;
    try {
      await this.publisher.publishHistory(
        symbols.map((s) => o.board.history.get(s)),
        gen,
        now,
      );
      o.board.historyDirty = false;
    } catch (err) {
      o.logger.warn('history publish failed', { error: errorMessage(err) });
    }
  }
}
