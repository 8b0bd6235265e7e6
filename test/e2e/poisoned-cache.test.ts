import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { gzipSync } from 'node:zlib';
import { type Cache, PART_BYTES, createCache } from '@confluence/cache';
import {
  type ApiEnvelope,
  type CalibrationData,
  type Envelope,
  type HeartbeatData,
  type Status,
  type SymbolDetail,
  createKeys,
  makeEnvelope,
} from '@confluence/contracts';
import {
  META,
  buildOverviewEnvelope,
  buildSymbolsEnvelope,
  type Memcached,
  type Service,
  dumpOnFailure,
  getJson,
  memcachedRawSet,
  memcachedStats,
  startMemcached,
  startWeb,
  stopAll,
  waitFor,
} from '@confluence/testkit';

/**
 * Values poisoned straight into a real memcached (bypassing every writer of ours) against a real web process:
 * broken framing, a gzip bomb, oversized data and a heartbeat from the future are rejected values, reported in the
 * status like any other, never a 5xx, logged at a bounded rate, and never make the status say "Live" about data
 * that is not.
 */
const keys = createKeys();
const INTERVAL_MS = 500;
const analyzer: typeof META = { ...META, analyzerId: 'poison-test' };

function heartbeat(at: number, generation: number): HeartbeatData {
  return {
    analyzerId: analyzer.analyzerId,
    generation,
    startedAt: at - 60_000,
    lastCycleAt: at,
    lastCycleMs: 5,
    publishIntervalMs: INTERVAL_MS,
    symbolCount: 5,
    scoredCount: 5,
    tableComplete: true,
    warmup: { done: 5, total: 5, complete: true },
    intake: { state: 'connected', connected: true, lastMessageAt: at, reconnects: 0, detail: null },
    shard: null,
  };
}

function detail(symbol: string): SymbolDetail {
  return {
    symbol,
    score: 55,
    direction: 'Neutral',
    strength: null,
    confidence: { value: 0.5, agreement: 0.5, completeness: 1, freshness: 1 },
    rationale: 'test',
    components: [],
    topContributors: [],
    price: 1,
    change24h: 0,
    fundingRate: 0,
    openInterest: 1,
    orderbook: { bestBid: 1, bestAsk: 1.01, mid: 1.005, spreadBps: 1, bidDepth: 1, askDepth: 1, levels: 10, synced: true },
    updatedAt: Date.now(),
    dataOk: true,
    lastMove: null,
    bandRecord: null,
  };
}

const cell = {
  samples: 3,
  directional: 2,
  hits: 1,
  hitRate: 0.5,
  baseRate: 0.5,
  skill: 0,
  skill95: null,
  blocks: 1,
  verdict: 'too_few' as const,
  meanReturn: 0.001,
  medianReturn: 0.001,
};
function calibration(horizons: string[]): CalibrationData {
  return {
    horizons,
    bands: [{ band: '≥70', byHorizon: Object.fromEntries(horizons.map((h) => [h, cell])) }],
    components: [],
    totalSamples: 3,
    resolvedSamples: 3,
    since: null,
    method: { nonOverlapping: true, resamples: 400, minSamples: 30, minBlocks: 8, blockMinutes: { '1h': 120 } },
  };
}

/** A split value whose manifest names parts that were never written. */
function missingPartsManifest(): string {
  const bytes = PART_BYTES + 100;
  return `CFCHUNKS1${JSON.stringify({ id: 'deadbeef0001', parts: 2, bytes, sha1: createHash('sha1').update('x').digest('hex') })}`;
}

describe('poisoned cache values against a real web process', () => {
  let mc: Memcached;
  let web: Service;
  let cache: Cache;
  let pump: NodeJS.Timeout | undefined;
  let pumping: Promise<void> = Promise.resolve();
  /** What the stand-in analyzer writes each tick: the table can be withheld, the heartbeat stamped in the future. */
  const writer = { table: true, heartbeatSkewMs: 0, generation: 1_000 };

  async function tick(): Promise<void> {
    const now = Date.now();
    const meta = { ...analyzer, generation: ++writer.generation, producedAt: now };
    if (writer.table) {
      await cache.set(keys.symbols(), JSON.stringify(buildSymbolsEnvelope(5, meta)), 60);
      await cache.set(keys.overview(), JSON.stringify(buildOverviewEnvelope(5, meta)), 60);
      await cache.set(keys.symbol('SYM1USDT'), JSON.stringify(makeEnvelope('symbol', meta, detail('SYM1USDT'))), 60);
    }
    const at = now + writer.heartbeatSkewMs;
    await cache.set(keys.heartbeat(), JSON.stringify(makeEnvelope('heartbeat', { ...meta, producedAt: at }, heartbeat(at, meta.generation))), 60);
  }

  const status = async () => (await getJson<{ status: Status }>(`${web.url}/api/status`)).body.status;
  const rejectedOf = (s: Status, key: string) => s.rejected.find((r) => r.key === key);
  /** The web process's resident memory now, and the most it ever had (VmHWM), in bytes. */
  const memory = () => {
    const text = fs.readFileSync(`/proc/${web.proc.child.pid}/status`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)?.[1]) * 1024;
    return { rss: kb('VmRSS'), peak: kb('VmHWM') };
  };
  const logLines = (text: string) =>
    web.proc
      .output()
      .split('\n')
      .filter((l) => l.includes(text));

  beforeAll(async () => {
    mc = await startMemcached({ memoryMb: 256 });
    cache = createCache({ servers: [mc.address], timeoutMs: 1000 });
    await tick();
    pump = setInterval(() => {
      pumping = pumping.then(tick).catch(() => undefined);
    }, 200);
    web = await startWeb({ MEMCACHED_SERVERS: mc.address, PUBLISH_INTERVAL_MS: String(INTERVAL_MS), WEB_POLL_MS: '50' });
    await waitFor(async () => (await status()).state === 'ok', { what: 'status ok' });
    await cache.set(
      keys.calibration(),
      JSON.stringify(makeEnvelope('calibration', { ...analyzer, producedAt: Date.now() }, calibration(['15m', '1h', '4h']))),
      60,
    );
  });

  afterAll(async () => {
    if (pump) clearInterval(pump);
    await pumping;
    cache?.close();
    await stopAll(web);
    await mc?.stop();
  });

  const guard = async (run: () => Promise<void>) => {
    try {
      await run();
    } catch (err) {
      throw new Error(`${(err as Error).message}\n${dumpOnFailure(web)}`);
    }
  };

  test("when a detail's manifest claims 100,000 parts, then one request costs a handful of reads, answers 200 and the status reports bad_manifest", () =>
    guard(async () => {
      const key = keys.symbol('SYM2USDT');
      await memcachedRawSet(
        mc.port,
        key,
        `CFCHUNKS1${JSON.stringify({ id: 'abcdefabcdef', parts: 100_000, bytes: 100_000 * PART_BYTES, sha1: 'a'.repeat(40) })}`,
      );
      const before = (await memcachedStats(mc.port)).cmd_get;
      const res = await getJson<ApiEnvelope<SymbolDetail>>(`${web.url}/api/symbols/SYM2USDT`);
      const reads = (await memcachedStats(mc.port)).cmd_get - before;
      expect(res.status).toBe(200);
      expect(res.body.data).toBeNull();
      expect(rejectedOf(res.body.status, key)).toMatchObject({ reason: 'bad_manifest' });
      expect(res.body.status.message).toMatch(/not understood — not shown/);
      // The web's own polling reads a few keys every 50 ms meanwhile; 100,000 part reads would dwarf that.
      expect(reads).toBeLessThan(500);
      expect((await getJson(`${web.url}/healthz`)).status).toBe(200);
    }));

  test('when the scoreboard is a 100 KB gzip that inflates to 100 MB, then /api/calibration answers 200 without the value and RSS stays flat', () =>
    guard(async () => {
      const before = memory();
      await memcachedRawSet(mc.port, keys.calibration(), gzipSync(Buffer.alloc(100 * 1024 * 1024, 0x20), { level: 9 }));
      const res = await getJson<ApiEnvelope<CalibrationData>>(`${web.url}/api/calibration`);
      expect(res.status).toBe(200);
      expect(res.body.data).toBeNull();
      expect(rejectedOf(res.body.status, keys.calibration())).toMatchObject({ reason: 'too_large' });
      // The background poll of the scoreboard meets the same value every 2 s: wait for one, then look at memory.
      await waitFor(async () => (await status()).rejected.some((r) => r.key === keys.calibration()), { what: 'calibration rejected' });
      // Peak resident memory, not a sample: inflating the 100 MB even once would show here.
      const after = memory();
      expect(Number.isFinite(after.peak)).toBe(true);
      expect(after.peak - before.rss).toBeLessThan(64 * 1024 * 1024);
    }));

  test('when the scoreboard is corrupt gzip, then 200 and bad_compression; when it is a small gzip naming 20,000 horizons, then 200, bad_data and a small body', () =>
    guard(async () => {
      const gz = gzipSync(Buffer.from(JSON.stringify(makeEnvelope('calibration', { ...analyzer, producedAt: Date.now() }, calibration(['1h'])))));
      await memcachedRawSet(mc.port, keys.calibration(), Buffer.concat([gz.subarray(0, 30), Buffer.alloc(40, 0x55)]));
      let res = await waitFor(
        async () => {
          const r = await getJson<ApiEnvelope<CalibrationData>>(`${web.url}/api/calibration`);
          return rejectedOf(r.body.status, keys.calibration())?.reason === 'bad_compression' ? r : null;
        },
        { what: 'bad_compression reported' },
      );
      expect(res.status).toBe(200);

      const horizons = Array.from({ length: 20_000 }, (_, i) => `h${i}`);
      const poisoned = gzipSync(Buffer.from(JSON.stringify(makeEnvelope('calibration', { ...analyzer, producedAt: Date.now() }, calibration(horizons)))), {
        level: 9,
      });
      await memcachedRawSet(mc.port, keys.calibration(), poisoned);
      res = await waitFor(
        async () => {
          const r = await getJson<ApiEnvelope<CalibrationData>>(`${web.url}/api/calibration`);
          return rejectedOf(r.body.status, keys.calibration())?.reason === 'bad_data' ? r : null;
        },
        { what: 'bad_data reported' },
      );
      expect(res.status).toBe(200);
      expect(res.body.data).toBeNull();
      expect(JSON.stringify(res.body).length).toBeLessThan(20_000);
    }));

  test('when the table is replaced by a split value with missing parts while the heartbeat stays fresh, then the status turns stale (not Live), reports missing_parts and logs it once', () =>
    guard(async () => {
      writer.table = false;
      await pumping;
      await memcachedRawSet(mc.port, keys.symbols(), missingPartsManifest());
      const stale = await waitFor(
        async () => {
          const s = await status();
          return s.state === 'stale' ? s : null;
        },
        { what: 'stale while the heartbeat is fresh' },
      );
      expect(rejectedOf(stale, keys.symbols())).toMatchObject({ reason: 'missing_parts' });
      expect(stale.heartbeatAgeMs!).toBeLessThanOrEqual(3 * INTERVAL_MS);
      expect(stale.dataAgeMs!).toBeGreaterThan(3 * INTERVAL_MS);
      // The table still served is the last good one, marked by the status.
      const table = await getJson<ApiEnvelope<unknown>>(`${web.url}/api/symbols`);
      expect(table.status).toBe(200);
      expect(table.body.status.state).toBe('stale');
      // Tens of polls met the broken table; the log has one line about it.
      expect(logLines('rejected cache value').filter((l) => l.includes(`"key":"${keys.symbols()}"`))).toHaveLength(1);
      expect(logLines('reader poll failed')).toEqual([]);
      writer.table = true;
      await waitFor(async () => (await status()).state === 'ok', { what: 'ok again with a good table' });
    }));

  test('when the heartbeat is stamped one hour in the future, then it is rejected and the status is not Live', () =>
    guard(async () => {
      writer.heartbeatSkewMs = 3_600_000;
      const s = await waitFor(
        async () => {
          const x = await status();
          return rejectedOf(x, keys.heartbeat())?.reason === 'future_timestamp' ? x : null;
        },
        { what: 'future heartbeat rejected' },
      );
      expect(s.state).not.toBe('ok');
      expect(s.message).not.toMatch(/^Live/);
      writer.heartbeatSkewMs = 0;
      const back = await waitFor(
        async () => {
          const x = await status();
          return x.state === 'ok' && !rejectedOf(x, keys.heartbeat()) ? x : null;
        },
        { what: 'ok once the heartbeat is sane' },
      );
      expect(back.message.startsWith('Live')).toBe(true);
    }));

  test('when a detail of a symbol is older than its rewrite period, then its response says stale', () =>
    guard(async () => {
      const key = keys.symbol('SYM3USDT');
      const old: Envelope<'symbol'> = makeEnvelope('symbol', { ...analyzer, producedAt: Date.now() - 120_000 }, detail('SYM3USDT'));
      await cache.set(key, JSON.stringify(old), 60);
      const res = await getJson<ApiEnvelope<SymbolDetail>>(`${web.url}/api/symbols/SYM3USDT`);
      expect(res.status).toBe(200);
      expect(res.body.data?.symbol).toBe('SYM3USDT');
      expect(res.body.status.state).toBe('stale');
      expect(res.body.status.dataAgeMs!).toBeGreaterThanOrEqual(120_000);
      const fresh = await getJson<ApiEnvelope<SymbolDetail>>(`${web.url}/api/symbols/SYM1USDT`);
      expect(fresh.body.status.state).toBe('ok');
    }));
});
