import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Cache } from '@confluence/cache';
import type { MarketSource, ShardId } from '@confluence/contracts';
import type { CycleStats } from '../cycle/publish-cycle';
import type { Scoreboard } from '../cycle/scoreboard';
import type { Intake } from '../intake/intake';
import type { AnalyzerMetrics } from '../metrics';
import type { Signals } from '../signals';
import { createHealthApp, type HealthSource } from './routes';

/** A heartbeat older than this many intervals makes the analyzer not ready (the web calls it stale at the same age). */
const READY_STALE_INTERVALS = 3;

export interface HealthReportOptions {
  analyzerId: string;
  startedAt: number;
  source: MarketSource;
  shard: ShardId | undefined;
  publishIntervalMs: number;
  memcachedServers: readonly string[];
  intake: Intake;
  cycle: Readonly<CycleStats>;
  board: Pick<Scoreboard, 'rows'>;
  signals: Pick<Signals, 'health'>;
  cache: Pick<Cache, 'stats'>;
}

/** Readiness with its reasons, and the details /health answers. */
export class HealthReport implements HealthSource {
  constructor(private readonly o: HealthReportOptions) {}

  notReadyReasons(): string[] {
    const { intake, cycle, publishIntervalMs } = this.o;
    const reasons: string[] = [];
    const h = intake.health();
    if (h.state !== 'connected' && h.state !== 'closed') reasons.push(`exchange feed ${h.state}`);
    if (h.accessBlock) reasons.push(`${h.accessBlock.message} since ${new Date(h.accessBlock.since).toISOString()}`);
    const age = Date.now() - cycle.lastPublishOkAt;
    if (cycle.lastPublishOkAt === 0) reasons.push('no successful publish yet');
    else if (age > READY_STALE_INTERVALS * publishIntervalMs) reasons.push(`last successful publish ${Math.round(age / 1000)} s ago`);
    if (cycle.lastPublish && !cycle.lastPublish.ok) reasons.push(`memcached: ${cycle.lastPublish.error}`);
    return reasons;
  }

  details(): Record<string, unknown> {
    const { intake, cycle: c, cache } = this.o;
    const h = intake.health();
    const now = Date.now();
    return {
      service: 'analyzer',
      analyzerId: this.o.analyzerId,
      source: this.o.source,
      shard: this.o.shard ?? null,
      uptimeS: Math.round((now - this.o.startedAt) / 1000),
      generation: c.generation,
      symbolsTracked: intake.symbols().length,
      scored: this.o.board.rows.filter((r) => r.score !== null).length,
      lastCycleMs: c.lastCycleMs,
      lastCycleAgeMs: c.lastCycleAt ? now - c.lastCycleAt : null,
      publish: {
        ok: c.lastPublish?.ok ?? null,
        lastOkAgeMs: c.lastPublishOkAt ? now - c.lastPublishOkAt : null,
        failures: c.publishFailures,
        cacheLossesDetected: c.cacheLosses,
        lastError: c.lastPublish?.error ?? null,
        lastDurationMs: c.lastPublish?.durationMs ?? null,
      },
      memcached: { servers: this.o.memcachedServers, ...cache.stats() },
      signals: this.o.signals.health(),
      intake: h,
      symbols: Object.fromEntries(
        intake.symbols().map((s) => {
          const st = intake.symbolStatus(s);
          return [
            s,
            {
              warm: st?.warm ?? false,
              bookSynced: st?.bookSynced ?? false,
              repairing: st?.repairing ?? [],
              lastUpdateAgeMs: st?.lastUpdateAt ? now - st.lastUpdateAt : null,
              reason: st?.reason ?? null,
            },
          ];
        }),
      ),
    };
  }
}

/** The health/metrics HTTP server's lifecycle. */
export class HealthServer {
  private server: http.Server | null = null;

  constructor(
    private readonly source: HealthSource,
    private readonly metrics: AnalyzerMetrics,
  ) {}

  async listen(port: number, host: string): Promise<number> {
    const server = http.createServer(createHealthApp(this.source, this.metrics));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    return (server.address() as AddressInfo).port;
  }

  /** Null when it never listened. */
  close(): Promise<void> | null {
    const s = this.server;
    if (!s) return null;
    return new Promise<void>((resolve) => {
      s.close(() => resolve());
      s.closeAllConnections();
    });
  }
}
