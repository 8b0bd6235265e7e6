import type { HeartbeatData } from '@confluence/contracts';
import { type ShardView, deriveStatus } from '../src/status';

const NOW = 1_764_080_100_000;

function heartbeat(overrides: Partial<HeartbeatData> = {}): HeartbeatData {
  return {
    analyzerId: 'a-1',
    generation: 10,
    startedAt: NOW - 60_000,
    lastCycleAt: NOW - 500,
    lastCycleMs: 12,
    publishIntervalMs: 1000,
    symbolCount: 15,
    scoredCount: 15,
    tableComplete: true,
    warmup: { done: 15, total: 15, complete: true },
    intake: { state: 'connected', connected: true, lastMessageAt: NOW - 100, reconnects: 0, detail: null },
    shard: null,
    ...overrides,
  };
}

function view(hb: HeartbeatData | null, hasTable = true, index = 0, count = 1): ShardView {
  return { index, count, heartbeat: hb, heartbeatProducedAt: hb ? hb.lastCycleAt : null, hasTable, symbolCount: hasTable ? 15 : 0 };
}

const base = {
  now: NOW,
  cacheReachable: true,
  cacheCheckedAt: NOW,
  source: 'live' as const,
  generation: 10,
  tableProducedAt: NOW - 500,
  defaultPublishIntervalMs: 1000,
  rejected: [],
};

describe('deriveStatus', () => {
  test('when the heartbeat is fresh and the table complete, then ok and not simulated', () => {
    const s = deriveStatus({ ...base, shards: [view(heartbeat())] });
    expect(s).toMatchObject({ state: 'ok', simulated: false, feedDown: false, message: 'Live' });
  });

  test('when nothing is found under the prefix, then no_data with the waiting message', () => {
    const s = deriveStatus({ ...base, shards: [], source: null, generation: null, tableProducedAt: null });
    expect(s.state).toBe('no_data');
    expect(s.message).toBe("Waiting for the analyzer's first publish");
  });

  test('when the heartbeat is older than three publish intervals, then stale with the data age in words', () => {
    const s = deriveStatus({ ...base, tableProducedAt: NOW - 120_000, shards: [view(heartbeat({ lastCycleAt: NOW - 120_000 }))] });
    expect(s.state).toBe('stale');
    expect(s.message).toBe('Analyzer stale — showing data from 2 min ago');
  });

  test('when exactly at three intervals, then still ok (stale is strictly older)', () => {
    expect(deriveStatus({ ...base, shards: [view(heartbeat({ lastCycleAt: NOW - 3000 }))] }).state).toBe('ok');
    expect(deriveStatus({ ...base, shards: [view(heartbeat({ lastCycleAt: NOW - 3001 }))] }).state).toBe('stale');
  });

  test('when the analyzer has not completed its table, then warming_up with progress', () => {
    const s = deriveStatus({ ...base, shards: [view(heartbeat({ tableComplete: false, warmup: { done: 7, total: 15, complete: false } }), false)] });
    expect(s.state).toBe('warming_up');
    expect(s.message).toBe('Analyzer warming up — 7/15 symbols backfilled');
  });

  test('when Memcached does not answer, then cache_unreachable showing the last data held', () => {
    const s = deriveStatus({ ...base, cacheReachable: false, tableProducedAt: NOW - 40_000, shards: [view(heartbeat())] });
    expect(s.state).toBe('cache_unreachable');
    expect(s.message).toBe('Cache unreachable — showing last known data from 40 s ago');
  });

  test('when the source is the simulator, then the simulated flag is set beside the state', () => {
    const s = deriveStatus({ ...base, source: 'sim', shards: [view(heartbeat())] });
    expect(s).toMatchObject({ state: 'ok', simulated: true });
  });

  test('when the exchange feed is down, then feedDown with how long ago the last message came', () => {
    const s = deriveStatus({
      ...base,
      shards: [view(heartbeat({ intake: { state: 'reconnecting', connected: false, lastMessageAt: NOW - 40_000, reconnects: 3, detail: 'ECONNREFUSED' } }))],
    });
    expect(s.feedDown).toBe(true);
    expect(s.message).toMatch(/Bybit unreachable — retrying, last message 40 s ago/);
  });

  test('when the analyzer stops with a connected feed, then ageing never turns into "Bybit unreachable": the feed state is unknown, not down', () => {
    // The last heartbeat said the feed was fine; 60 s later nothing new is known about Bybit.
    const hb = heartbeat({
      lastCycleAt: NOW - 60_000,
      intake: { state: 'connected', connected: true, lastMessageAt: NOW - 60_100, reconnects: 0, detail: null },
    });
    const s = deriveStatus({ ...base, tableProducedAt: NOW - 60_000, shards: [view(hb)] });
    expect(s.state).toBe('stale');
    expect(s.feedDown).toBe(false);
    expect(s.message).not.toMatch(/Bybit/);
  });

  test('when Memcached is down, then the status never claims the exchange is down', () => {
    const hb = heartbeat({ intake: { state: 'reconnecting', connected: false, lastMessageAt: NOW - 40_000, reconnects: 3, detail: null } });
    const s = deriveStatus({ ...base, cacheReachable: false, shards: [view(hb)] });
    expect(s.state).toBe('cache_unreachable');
    expect(s.feedDown).toBe(false);
  });

  test('when a fresh heartbeat reports no exchange message for longer than the silence limit, then feedDown', () => {
    const hb = heartbeat({ lastCycleAt: NOW - 200, intake: { state: 'connected', connected: true, lastMessageAt: NOW - 20_000, reconnects: 0, detail: null } });
    expect(deriveStatus({ ...base, shards: [view(hb)] }).feedDown).toBe(true);
  });

  test('when the analyzer reports an access block, then the status names it (not "unreachable") and counts repairs', () => {
    const s = deriveStatus({
      ...base,
      shards: [
        view(
          heartbeat({
            intake: { state: 'connected', connected: true, lastMessageAt: NOW - 100, reconnects: 0, detail: null, accessBlocked: true, repairing: 2 },
          }),
        ),
      ],
    });
    expect(s.exchangeBlocked).toBe(true);
    expect(s.repairing).toBe(2);
    expect(s.message).toBe("Live · Bybit refuses this server's IP (HTTP 403) — retrying · repairing candles of 2 symbols after a gap");
    const old = deriveStatus({ ...base, shards: [view(heartbeat())] });
    expect(old).toMatchObject({ exchangeBlocked: false, repairing: 0, message: 'Live' });
  });

  test('when one of two shards is missing, then the status says which', () => {
    const s = deriveStatus({ ...base, shards: [view(heartbeat({ shard: { index: 0, count: 2 } }), true, 0, 2), view(null, false, 1, 2)] });
    expect(s.state).toBe('stale');
    expect(s.shards?.map((x) => x.state)).toEqual(['ok', 'missing']);
    expect(s.message).toMatch(/shard 1\/2 missing/);
  });

  test('when values were rejected, then the message says they are not shown', () => {
    const s = deriveStatus({ ...base, shards: [view(heartbeat())], rejected: [{ key: 'k', reason: 'newer_schema', message: 'schema 2' }] });
    expect(s.message).toMatch(/1 value in the cache not understood — not shown/);
  });

  test('when the heartbeat is fresh but the table is older than three intervals (its newer versions rejected), then stale, not Live', () => {
    const s = deriveStatus({
      ...base,
      tableProducedAt: NOW - 25_000,
      shards: [view(heartbeat())],
      rejected: [{ key: 'k', reason: 'bad_checksum', message: 'x' }],
    });
    expect(s.state).toBe('stale');
    expect(s.dataAgeMs).toBe(25_000);
    expect(s.message).toMatch(/^Analyzer stale — showing data from 25 s ago/);
    expect(deriveStatus({ ...base, tableProducedAt: NOW - 3000, shards: [view(heartbeat())] }).state).toBe('ok');
  });

  test("when a response carries a value older than its rewrite bound, then that response is stale with the value's age", () => {
    const fresh = deriveStatus({ ...base, shards: [view(heartbeat())], value: { producedAt: NOW - 20_000, staleAfterMs: 33_000 } });
    expect(fresh).toMatchObject({ state: 'ok', dataAgeMs: 20_000 });
    const old = deriveStatus({ ...base, shards: [view(heartbeat())], value: { producedAt: NOW - 40_000, staleAfterMs: 33_000 } });
    expect(old).toMatchObject({ state: 'stale', dataAgeMs: 40_000 });
    expect(old.message).toMatch(/showing data from 40 s ago/);
  });

  test('when cycles take longer than the interval, then the analyzer is behind, not stale, until three of its cycles pass', () => {
    // At the full universe on a small host a cycle took 4.7 s against a 1 s interval: 2.6 s scoring, 2.1 s publishing.
    const slow = (lastCycleAgo: number) => view(heartbeat({ lastCycleMs: 2_600, lastPublishMs: 2_100, lastCycleAt: NOW - lastCycleAgo }));
    const between = deriveStatus({ ...base, tableProducedAt: NOW - 4_000, shards: [slow(4_000)] });
    expect(between).toMatchObject({ state: 'ok', behind: { cycleMs: 4_700, intervalMs: 1_000 } });
    expect(between.message).toBe('Live · analyzer behind: a table about every 5 s instead of every 1 s');
    expect(deriveStatus({ ...base, tableProducedAt: NOW - 14_100, shards: [slow(14_100)] }).state).toBe('ok');
    expect(deriveStatus({ ...base, tableProducedAt: NOW - 14_200, shards: [slow(14_200)] })).toMatchObject({ state: 'stale', behind: null });
    // A quick analyzer is never behind; a cycle of 1.2 intervals is jitter, not behind; an older producer without
    // lastPublishMs is judged by its scoring time alone.
    expect(deriveStatus({ ...base, shards: [view(heartbeat())] }).behind).toBeNull();
    expect(deriveStatus({ ...base, shards: [view(heartbeat({ lastCycleMs: 700, lastPublishMs: 500 }))] }).behind).toBeNull();
    expect(deriveStatus({ ...base, shards: [view(heartbeat({ lastCycleMs: 2_000 }))] }).behind).toEqual({ cycleMs: 2_000, intervalMs: 1_000 });
  });

  test('when the last cycle was absurdly long, then staleness still follows at most ten intervals', () => {
    const hb = (ago: number) => view(heartbeat({ lastCycleMs: 600_000, lastCycleAt: NOW - ago }));
    expect(deriveStatus({ ...base, tableProducedAt: NOW - 29_000, shards: [hb(29_000)] })).toMatchObject({ state: 'ok', behind: { cycleMs: 10_000 } });
    expect(deriveStatus({ ...base, tableProducedAt: NOW - 31_000, shards: [hb(31_000)] }).state).toBe('stale');
  });
});
