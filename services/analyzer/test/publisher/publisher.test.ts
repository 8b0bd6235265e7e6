import type { Cache, CacheStats } from '@confluence/cache';
import { CacheUnavailableError } from '@confluence/cache';
import { type HeartbeatData, type SymbolDetail, computeOverview, createKeys, decodeEnvelope } from '@confluence/contracts';
import { buildRow } from '@confluence/testkit';
import { Publisher, type CycleOutput } from '../../src/publisher/publisher';

/** A cache double that records the order of writes; the publisher's own collaborator, so a fake is fine here. */
function recordingCache(): Cache & { writes: string[]; store: Map<string, Buffer>; failNext: number } {
  const store = new Map<string, Buffer>();
  const writes: string[] = [];
  const c = {
    servers: ['fake:1'],
    writes,
    store,
    failNext: 0,
    async get(key: string) {
      return store.get(key) ?? null;
    },
    async getMany(keys: readonly string[]) {
      return new Map(keys.map((k) => [k, store.get(k) ?? null]));
    },
    async set(key: string, value: string | Buffer) {
      if (c.failNext > 0) {
        c.failNext--;
        throw new CacheUnavailableError('down', 'set', key);
      }
      writes.push(key);
      store.set(key, Buffer.from(value));
    },
    async delete(key: string) {
      store.delete(key);
    },
    async ping() {},
    stats: () => ({}) as CacheStats,
    serverFor: () => 'fake:1',
    keysOnEveryServer: (base: string) => [`${base}0`],
    close() {},
  };
  return c;
}

function detail(symbol: string, score: number): SymbolDetail {
  return {
    symbol,
    score,
    direction: 'Neutral',
    strength: null,
    confidence: { value: 0.5, agreement: 0.5, completeness: 1, freshness: 1 },
    rationale: 'r',
    components: [],
    topContributors: [],
    price: 1,
    change24h: 0,
    fundingRate: 0,
    openInterest: 0,
    orderbook: { bestBid: 1, bestAsk: 1.1, mid: 1.05, spreadBps: 10, bidDepth: 1, askDepth: 1, levels: 2, synced: true },
    updatedAt: 1,
    dataOk: true,
    lastMove: null,
    bandRecord: null,
  };
}

function output(generation: number, scores: Record<string, number>): CycleOutput {
  const rows = Object.entries(scores).map(([symbol, score], i) => buildRow(i, { symbol, score }));
  const heartbeat = { generation } as unknown as HeartbeatData;
  return {
    generation,
    producedAt: 1_000 + generation,
    details: new Map(Object.entries(scores).map(([s, v]) => [s, detail(s, v)])),
    symbols: { rows, pending: [], dropped: 0 },
    overview: computeOverview(rows),
    heartbeat: {
      ...heartbeat,
      analyzerId: 'a',
      startedAt: 0,
      lastCycleAt: 1,
      lastCycleMs: 1,
      publishIntervalMs: 1000,
      symbolCount: rows.length,
      scoredCount: rows.length,
      tableComplete: true,
      warmup: { done: 1, total: 1, complete: true },
      intake: { state: 'connected', connected: true, lastMessageAt: 1, reconnects: 0, detail: null },
      shard: null,
    },
  };
}

describe('publisher', () => {
  const keys = createKeys();

  test('when a cycle is published, then details come first, then symbols and overview, then the heartbeat, all of one generation', async () => {
    const cache = recordingCache();
    const p = new Publisher({ cache, keys, analyzerId: 'a', source: 'sim', shard: undefined, now: () => 0 });
    const r = await p.publish(output(5, { BTCUSDT: 60, ETHUSDT: 40 }));
    expect(r.ok).toBe(true);
    expect(cache.writes.slice(0, 2).sort()).toEqual([keys.symbol('BTCUSDT'), keys.symbol('ETHUSDT')]);
    expect(cache.writes.slice(2, 4).sort()).toEqual([keys.overview(), keys.symbols()].sort());
    expect(cache.writes[4]).toBe(keys.heartbeat());
    for (const [key, kind] of [
      [keys.symbols(), 'symbols'],
      [keys.overview(), 'overview'],
      [keys.heartbeat(), 'heartbeat'],
      [keys.symbol('BTCUSDT'), 'symbol'],
    ] as const) {
      const d = decodeEnvelope(kind, cache.store.get(key)!);
      expect(d.ok && d.envelope.generation).toBe(5);
    }
  });

  test('when a detail did not change, then it is not rewritten until the periodic full rewrite', async () => {
    let t = 0;
    const cache = recordingCache();
    const p = new Publisher({ cache, keys, analyzerId: 'a', source: 'sim', shard: undefined, now: () => t });
    await p.publish(output(1, { BTCUSDT: 60, ETHUSDT: 40 }));
    cache.writes.length = 0;
    t = 1000;
    await p.publish(output(2, { BTCUSDT: 61, ETHUSDT: 40 }));
    expect(cache.writes.filter((k) => k.includes(':symbol:'))).toEqual([keys.symbol('BTCUSDT')]);
    cache.writes.length = 0;
    t = 31_000;
    await p.publish(output(3, { BTCUSDT: 61, ETHUSDT: 40 }));
    expect(cache.writes.filter((k) => k.includes(':symbol:')).sort()).toEqual([keys.symbol('BTCUSDT'), keys.symbol('ETHUSDT')]);
  });

  test('when Memcached failed (and may come back empty), then the next good cycle rewrites everything', async () => {
    let t = 0;
    const cache = recordingCache();
    const p = new Publisher({ cache, keys, analyzerId: 'a', source: 'sim', shard: undefined, now: () => t });
    await p.publish(output(1, { BTCUSDT: 60, ETHUSDT: 40 }));
    cache.failNext = 1;
    t = 1000;
    const failed = await p.publish(output(2, { BTCUSDT: 60, ETHUSDT: 40 }));
    expect(failed.ok).toBe(false);
    expect(failed.error).toMatch(/down/);
    cache.store.clear();
    cache.writes.length = 0;
    t = 2000;
    const ok = await p.publish(output(3, { BTCUSDT: 60, ETHUSDT: 40 }));
    expect(ok.ok).toBe(true);
    expect([...cache.store.keys()].sort()).toEqual([keys.heartbeat(), keys.overview(), keys.symbol('BTCUSDT'), keys.symbol('ETHUSDT'), keys.symbols()].sort());
  });

  test('when sharded, then the table, overview and heartbeat go under the shard keys and the shard count is announced', async () => {
    const cache = recordingCache();
    const shard = { index: 1, count: 2 };
    const p = new Publisher({ cache, keys, analyzerId: 'a', source: 'sim', shard, now: () => 0 });
    await p.publish(output(1, { BTCUSDT: 60 }));
    expect(cache.store.has(keys.symbols(shard))).toBe(true);
    expect(cache.store.has(keys.heartbeat(shard))).toBe(true);
    expect(cache.store.has(keys.symbols())).toBe(false);
    const d = decodeEnvelope('shards', cache.store.get(keys.shards())!);
    expect(d.ok && d.envelope.data.count).toBe(2);
  });
});

describe('publisher slicing', () => {
  test('when serialising the details takes longer than a slice, then the event loop runs in between', async () => {
    const cache = recordingCache();
    const p = new Publisher({ cache, keys: createKeys(), analyzerId: 'a', source: 'sim', shard: undefined, now: () => 0 });
    const scores = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`S${i}USDT`, 50]));
    const plain = output(1, scores);
    const details = new Map<string, SymbolDetail>();
    const out: CycleOutput = { ...plain, details };
    let serialised = 0;
    // Each detail takes 2 ms to serialise (a busy wait: at least that long on any machine), 40 ms in all.
    for (const [s, d] of plain.details) {
      details.set(s, {
        ...d,
        toJSON() {
          const until = performance.now() + 2;
          while (performance.now() < until);
          serialised++;
          return { ...d };
        },
      } as SymbolDetail);
    }
    let seenAt: number | null = null;
    setImmediate(() => {
      seenAt = serialised;
    });
    expect((await p.publish(out)).ok).toBe(true);
    expect(serialised).toBe(20);
    // A timer or a WebSocket frame queued when the publish began got its turn long before the last detail.
    expect(seenAt).not.toBeNull();
    expect(seenAt).toBeLessThan(10);
  });
});
