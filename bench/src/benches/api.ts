// GET /api/symbols throughput and latency: the web service (separate process, real memcached, table published by the
// analyzer's Publisher once a second like a running analyzer) against a bare Express app serving the same bytes.
import fs from 'node:fs';
import path from 'node:path';
import { createCache, type Cache } from '@confluence/cache';
import { createKeys, type ApiEnvelope, type SymbolsData } from '@confluence/contracts';
import { Publisher } from '../../../services/analyzer/dist/publisher/publisher';
import type { BenchConfig } from '../lib/config';
import { cycleOutput, type Fixture } from '../lib/fixtures';
import { load, type LoadResult } from '../lib/load';
import { memcachedStats, removeTempDir, startBenchServer, startWeb, tempDir, waitFor, type Memcached, type Service } from '../lib/procs';
import { row, type Row } from '../lib/report';
import { nowMs, summarize } from '../lib/stats';

export interface ApiSizeResult {
  symbols: number;
  bodyBytes: number;
  contentType: string;
  web: LoadResult;
  baseline: LoadResult;
  /** Both again at half the saturated rate (same absolute rate, 32 connections): latency when not saturated. */
  halfLoadRate: number;
  webHalfLoad: LoadResult;
  baselineHalfLoad: LoadResult;
  /** memcached gets while the web was under load, and in a window of the same length while it was idle (the baseline run). */
  memcachedGetsDuringWebRun: number;
  memcachedGetsWhileWebIdle: number;
  /** Gets beyond the idle poll, per API request: 0 when requests never reach memcached. */
  memcachedGetsPerRequest: number;
  rawCacheGetUs: ReturnType<typeof summarize>;
  webUsPerRequest: number;
  publishesDuringRun: number;
}

const log = (m: string) => process.stderr.write(`[bench] ${m}\n`);

/** Republishes the table once a second (new generation, unchanged details are skipped) as the analyzer does. */
function startRepublishing(publisher: Publisher, fixture: Fixture, firstGeneration: number): { stop: () => Promise<void>; count: () => number } {
  let gen = firstGeneration;
  let count = 0;
  let stopped = false;
  let inFlight: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    if (stopped) return;
    gen = Math.max(gen + 1, Date.now());
    inFlight = publisher.publish(cycleOutput(fixture, gen)).then((r) => {
      if (r.ok) count++;
    });
  }, 1000);
  return {
    count: () => count,
    stop: async () => {
      stopped = true;
      clearInterval(timer);
      await inFlight;
    },
  };
}

async function rawGetUs(cache: Cache, key: string, calls: number): Promise<ReturnType<typeof summarize>> {
  for (let i = 0; i < 200; i++) await cache.get(key);
  const us: number[] = [];
  for (let i = 0; i < calls; i++) {
    const t = nowMs();
    const v = await cache.get(key);
    us.push((nowMs() - t) * 1000);
    if (v === null) throw new Error(`raw get of ${key} found nothing`);
  }
  return summarize(us);
}

export async function benchApiSize(cfg: BenchConfig, mc: Memcached, fixture: Fixture): Promise<ApiSizeResult> {
  const n = fixture.symbols.length;
  const prefix = `benchapi${n}:`;
  const keys = createKeys(prefix);
  const cache = createCache({ servers: [mc.address], timeoutMs: 2000 });
  const publisher = new Publisher({ cache, keys, analyzerId: 'bench', source: 'sim', shard: undefined });
  const dir = tempDir('confluence-bench-api-');
  let web: Service | undefined;
  let baseline: Service | undefined;
  let republish: ReturnType<typeof startRepublishing> | undefined;
  try {
    const gen0 = Date.now();
    const first = await publisher.publish(cycleOutput(fixture, gen0));
    if (!first.ok) throw new Error(`publish failed: ${first.error}`);
    republish = startRepublishing(publisher, fixture, gen0);
    web = await startWeb({ MEMCACHED_SERVERS: mc.address, KEY_PREFIX: prefix, PUBLISH_INTERVAL_MS: '1000', WEB_RATE_LIMIT_PER_MIN: '0', LOG_LEVEL: 'warn' });
    const url = `${web.url}/api/symbols`;
    await waitFor(
      async () => {
        const res = await fetch(url);
        if (res.status !== 200) return false;
        const body = (await res.json()) as ApiEnvelope<SymbolsData>;
        return body.status.state === 'ok' && (body.generation ?? 0) >= gen0 && body.data?.rows.length === n;
      },
      { timeoutMs: 20_000, what: `/api/symbols to serve generation ${gen0} with ${n} rows and status ok` },
    );
    const res = await fetch(url);
    const bodyBuf = Buffer.from(await res.arrayBuffer());
    const contentType = res.headers.get('content-type') ?? 'application/json; charset=utf-8';
    const bodyFile = path.join(dir, 'symbols.json');
    fs.writeFileSync(bodyFile, bodyBuf);
    baseline = await startBenchServer('baseline-express', 'workers/baseline-server.js', { BODY_FILE: bodyFile, CONTENT_TYPE: contentType });
    const baseUrl = `${baseline.url}/api/symbols`;
    const check = await fetch(baseUrl);
    const checkBody = Buffer.from(await check.arrayBuffer());
    if (!checkBody.equals(bodyBuf) || check.headers.get('content-type') !== contentType) throw new Error('baseline does not serve the same bytes/content-type');

    // Read path: a raw cache.get of the table key, sequentially (before the load runs, so nothing competes).
    const rawCacheGetUs = await rawGetUs(cache, keys.symbols(), 2000);

    log(`api ${n} symbols: body ${bodyBuf.length} bytes; web warm-up ${cfg.warmupS} s, run ${cfg.durationS} s`);
    if (cfg.warmupS > 0) await load(url, cfg.warmupS, cfg.connections);
    const pubBefore = republish.count();
    const statsBefore = await memcachedStats(mc.port);
    const webResult = await load(url, cfg.durationS, cfg.connections);
    const statsAfter = await memcachedStats(mc.port);
    const publishesDuringRun = republish.count() - pubBefore;
    log(`api ${n} symbols: baseline warm-up ${cfg.warmupS} s, run ${cfg.durationS} s`);
    if (cfg.warmupS > 0) await load(baseUrl, cfg.warmupS, cfg.connections);
    const idleBefore = await memcachedStats(mc.port);
    const baseResult = await load(baseUrl, cfg.durationS, cfg.connections);
    const idleAfter = await memcachedStats(mc.port);
    const halfLoadRate = 0.5 * Math.min(webResult.rps, baseResult.rps);
    const halfS = Math.max(1, Math.round(cfg.durationS / 2));
    log(`api ${n} symbols: web and baseline at ${Math.round(halfLoadRate)} req/s for ${halfS} s each`);
    const webHalfLoad = await load(url, halfS, cfg.connections, halfLoadRate);
    const baselineHalfLoad = await load(baseUrl, halfS, cfg.connections, halfLoadRate);
    const gets = (statsAfter.cmd_get ?? 0) - (statsBefore.cmd_get ?? 0);
    const idleGets = (idleAfter.cmd_get ?? 0) - (idleBefore.cmd_get ?? 0);
    return {
      symbols: n,
      bodyBytes: bodyBuf.length,
      contentType,
      web: webResult,
      baseline: baseResult,
      halfLoadRate,
      webHalfLoad,
      baselineHalfLoad,
      memcachedGetsDuringWebRun: gets,
      memcachedGetsWhileWebIdle: idleGets,
      memcachedGetsPerRequest: webResult.requests ? Math.max(0, gets - idleGets) / webResult.requests : NaN,
      rawCacheGetUs,
      webUsPerRequest: webResult.rps ? 1e6 / webResult.rps : NaN,
      publishesDuringRun,
    };
  } finally {
    await republish?.stop();
    await Promise.all([web?.proc.stop('SIGTERM', 5000), baseline?.proc.stop('SIGTERM', 3000)]);
    cache.close();
    removeTempDir(dir);
  }
}

export function apiRows(r: ApiSizeResult): Row[] {
  const n = r.symbols;
  const ratio = r.web.rps / r.baseline.rps;
  const errs = r.web.errors + r.web.non2xx;
  return [
    row({
      name: `GET /api/symbols ${n} sym: throughput`,
      unit: 'req/s',
      value: r.web.rps,
      baseline: r.baseline.rps,
      baselineLabel: 'bare Express',
      target: '≥ 0.80× baseline',
      pass: ratio >= 0.8 && errs === 0,
      note: errs ? `${errs} errors/non-2xx` : `${Math.round(r.bodyBytes / 1024)} KiB body, ${r.web.connections} connections`,
    }),
    row({ name: `GET /api/symbols ${n} sym: p50 latency`, unit: 'ms', value: r.web.latency.p50, baseline: r.baseline.latency.p50, baselineLabel: 'bare Express', target: '', pass: null }),
    row({
      name: `GET /api/symbols ${n} sym: p99 latency`,
      unit: 'ms',
      value: r.web.latency.p99,
      baseline: r.baseline.latency.p99,
      baselineLabel: 'bare Express',
      target: '≤ 5 ms',
      pass: r.web.latency.p99 <= 5,
      note: `saturated closed loop: mean latency = 32 / throughput (${(32000 / r.baseline.rps).toFixed(1)} ms even for the baseline)`,
    }),
    row({
      name: `GET /api/symbols ${n} sym: p99 at ${Math.round(r.halfLoadRate)} req/s`,
      unit: 'ms',
      value: r.webHalfLoad.latency.p99,
      baseline: r.baselineHalfLoad.latency.p99,
      baselineLabel: 'bare Express',
      target: '',
      pass: null,
      note: `half the saturated rate, 32 connections; p50 ${r.webHalfLoad.latency.p50.toFixed(2)} ms (baseline ${r.baselineHalfLoad.latency.p50.toFixed(2)} ms)`,
    }),
  ];
}

export function readPathRows(r: ApiSizeResult): Row[] {
  const n = r.symbols;
  return [
    row({
      name: `read path ${n} sym: µs per GET /api/symbols`,
      unit: 'µs',
      value: r.webUsPerRequest,
      baseline: r.rawCacheGetUs.mean,
      baselineLabel: 'raw cache.get of table key',
      target: '',
      pass: null,
      note: 'web figure = 1/throughput at 32 connections; cache.get = sequential mean over 2,000 calls',
    }),
    row({
      name: `read path ${n} sym: memcached gets per API request`,
      unit: '',
      value: r.memcachedGetsPerRequest,
      baseline: null,
      baselineLabel: '',
      target: '< 0.01 (no per-request read)',
      pass: r.memcachedGetsPerRequest < 0.01,
      note: `${r.memcachedGetsDuringWebRun} gets during ${r.web.requests.toLocaleString('en-US')} requests vs ${r.memcachedGetsWhileWebIdle} in the same time idle (the web's 200 ms poll)`,
    }),
  ];
}
