import type { Cache } from '@confluence/cache';
import { DEFAULT_KEY_PREFIX, type HeartbeatData, type ShardId, createKeys, makeEnvelope } from '@confluence/contracts';
import { META, buildOverviewEnvelope, buildRow, buildSymbolsEnvelope } from './builders';

const keys = createKeys(DEFAULT_KEY_PREFIX);

export function heartbeatData(now: number, generation: number, symbolCount: number, shard: ShardId | null = null): HeartbeatData {
  return {
    analyzerId: META.analyzerId,
    generation,
    startedAt: now - 10_000,
    lastCycleAt: now,
    lastCycleMs: 5,
    publishIntervalMs: 1000,
    symbolCount,
    scoredCount: symbolCount,
    tableComplete: true,
    warmup: { done: symbolCount, total: symbolCount, complete: true },
    intake: { state: 'connected', connected: true, lastMessageAt: now, reconnects: 0, detail: null },
    shard,
  };
}

/**
 * Writes one generation the way the analyzer does (details, then table and overview, then heartbeat), straight into
 * Memcached: `shards` > 1 writes one slice per shard under its own keys, as `SHARD=i/N` analyzers would.
 */
/** The time-travel minute `publishGeneration` records when asked for extras. */
export const SNAPSHOT_MINUTE = 1_764_079_980_000;

export async function publishGeneration(
  cache: Cache,
  generation: number,
  options: { symbols?: number; shards?: number; extras?: boolean } = {},
): Promise<void> {
  const n = options.symbols ?? 20;
  const count = options.shards ?? 1;
  const now = Date.now();
  const meta = { ...META, generation, producedAt: now };
  const rows = Array.from({ length: n }, (_, i) => buildRow(i));
  if (options.extras) {
    // Per-symbol history, the time-travel index and one snapshot: data behind routes read on demand.
    for (const row of rows) {
      await cache.set(
        keys.history(row.symbol),
        JSON.stringify(makeEnvelope('history', meta, { symbol: row.symbol, points: [[SNAPSHOT_MINUTE, row.score, row.price]] })),
        60,
      );
    }
    await cache.set(keys.timeline(), JSON.stringify(makeEnvelope('timeline', meta, { minutes: [SNAPSHOT_MINUTE] })), 60);
    await cache.set(keys.snapshot(SNAPSHOT_MINUTE), JSON.stringify(makeEnvelope('snapshot', meta, { minute: SNAPSHOT_MINUTE, rows })), 60);
  }
  if (count === 1) {
    await cache.set(keys.symbols(), JSON.stringify(buildSymbolsEnvelope(n, meta)), 60);
    await cache.set(keys.overview(), JSON.stringify(buildOverviewEnvelope(n, meta)), 60);
    await cache.set(keys.heartbeat(), JSON.stringify(makeEnvelope('heartbeat', meta, heartbeatData(now, generation, n))), 60);
    return;
  }
  await cache.set(keys.shards(), JSON.stringify(makeEnvelope('shards', meta, { count })), 60);
  for (let index = 0; index < count; index++) {
    const shard = { index, count };
    const mine = rows.filter((_, i) => i % count === index);
    const full = buildSymbolsEnvelope(n, meta);
    const symbols = { ...full, data: { ...full.data, rows: full.data.rows.filter((_, i) => i % count === index) } };
    const ov = buildOverviewEnvelope(mine.length, meta);
    await cache.set(keys.symbols(shard), JSON.stringify(symbols), 60);
    await cache.set(keys.overview(shard), JSON.stringify(ov), 60);
    await cache.set(
      keys.heartbeat(shard),
      JSON.stringify(makeEnvelope('heartbeat', { ...meta, analyzerId: `shard-${index}` }, heartbeatData(now, generation, mine.length, shard))),
      60,
    );
  }
}
