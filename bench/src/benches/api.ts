// GET /api/symbols throughput and latency: the web service (separate process, real memcached, table published by the
// analyzer's Publisher once a second like a running analyzer) against a bare Express app serving the same bytes.
import fs from 'node:fs';
import path from 'node:path';
import { createCache, type Cache } from '@confluence/cache';
import { createKeys, type ApiEnvelope, type SymbolsData } from '@confluence/contracts';
import type { BenchConfig } from '../lib/config';
import type { Fixture } from '../lib/fixtures';
import { LoadAccumulator, type LoadResult } from '../lib/load';
import {
  memcachedStats,
  removeTempDir,
  startBenchServer,
  startProcess,
  startWeb,
  tempDir,
  waitFor,
  ROOT,
  type Memcached,
  type Proc,
  type Service,
} from '../lib/procs';
import { row, type Row } from '../lib/report';
import { nowMs, summarize } from '../lib/stats';

export interface ApiSizeResult {
  symbols: number;
  bodyBytes: number;
  contentType: string;
  web: LoadResult;
  baseline: LoadResult;
  /** Both again with one connection: the service time without queueing. */
  webOneConnection: LoadResult;
  baselineOneConnection: LoadResult;
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
  const dir = tempDir('confluence-bench-api-');
  let web: Service | undefined;
  let baseline: Service | undefined;
  let pub: Proc | undefined;
  try {
    // The analyzer's stand-in: the real Publisher in its own process, once a second.
    const fixtureFile = path.join(dir, 'fixture.json');
    fs.writeFileSync(fixtureFile, JSON.stringify({ symbols: fixture.symbols, rows: fixture.rows, details: [...fixture.details] }));
    pub = startProcess('publisher-loop', [path.join(ROOT, 'bench/dist/workers/publisher-loop.js')], {
      FIXTURE_FILE: fixtureFile,
      MEMCACHED_SERVERS: mc.address,
      KEY_PREFIX: prefix,
    });
    const published = () => pub!.jsonLines().filter((l) => l.event === 'published');
    const firstPub = await waitFor(
      () => {
        if (pub!.exited()) throw new Error(`publisher loop exited: ${pub!.output().slice(-2000)}`);
        return published()[0];
      },
      { timeoutMs: 20_000, what: 'the first publish' },
    );
    const gen0 = Number(firstPub.generation);
    // BENCH_WEB_NODE_OPTIONS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/web-prof") to look inside the web process under load.
    const nodeOptions: Record<string, string> = process.env.BENCH_WEB_NODE_OPTIONS
      ? { NODE_OPTIONS: `--no-warnings ${process.env.BENCH_WEB_NODE_OPTIONS}` }
      : {};
    web = await startWeb({
      MEMCACHED_SERVERS: mc.address,
      KEY_PREFIX: prefix,
      PUBLISH_INTERVAL_MS: '1000',
      WEB_RATE_LIMIT_PER_MIN: '0',
      LOG_LEVEL: 'warn',
      ...nodeOptions,
    });
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

    // Measured in ABBA blocks (web, baseline, baseline, web; twice when there is time) so the drift of this shared
    // machine hits both alike; each side gets `durationS` seconds in total.
    const order: Array<'web' | 'base'> = cfg.durationS >= 4 ? ['web', 'base', 'base', 'web', 'web', 'base', 'base', 'web'] : ['web', 'base', 'base', 'web'];
    const half = Math.max(0.5, (2 * cfg.durationS) / order.length);
    log(`api ${n} symbols: body ${bodyBuf.length} bytes; warm-up ${cfg.warmupS} s each, then ${order.length} alternating phases of ${half} s`);
    const webLoad = new LoadAccumulator(url, cfg.connections);
    const baseLoad = new LoadAccumulator(baseUrl, cfg.connections);
    if (cfg.warmupS > 0) {
      await webLoad.run(cfg.warmupS, false);
      await baseLoad.run(cfg.warmupS, false);
    }
    let gets = 0;
    let idleGets = 0;
    const pubBefore = published().length;
    for (const which of order) {
      const before = await memcachedStats(mc.port);
      await (which === 'web' ? webLoad : baseLoad).run(half);
      const after = await memcachedStats(mc.port);
      const d = (after.cmd_get ?? 0) - (before.cmd_get ?? 0);
      // While the baseline runs, the web is idle: its gets then are the background poll alone.
      if (which === 'web') gets += d;
      else idleGets += d;
    }
    const publishesDuringRun = published().length - pubBefore;
    const webResult = webLoad.result();
    const baseResult = baseLoad.result();
    const oneS = Math.max(1, Math.round(cfg.durationS / 4));
    log(`api ${n} symbols: one connection, ${oneS} s each`);
    const web1 = new LoadAccumulator(url, 1);
    const base1 = new LoadAccumulator(baseUrl, 1);
    await web1.run(oneS);
    await base1.run(oneS);
    return {
      symbols: n,
      bodyBytes: bodyBuf.length,
      contentType,
      web: webResult,
      baseline: baseResult,
      webOneConnection: web1.result(),
      baselineOneConnection: base1.result(),
      memcachedGetsDuringWebRun: gets,
      memcachedGetsWhileWebIdle: idleGets,
      memcachedGetsPerRequest: webResult.requests ? Math.max(0, gets - idleGets) / webResult.requests : NaN,
      rawCacheGetUs,
      webUsPerRequest: webResult.rps ? 1e6 / webResult.rps : NaN,
      publishesDuringRun,
    };
  } finally {
    await Promise.all([pub?.stop('SIGTERM', 3000), web?.proc.stop('SIGTERM', 5000), baseline?.proc.stop('SIGTERM', 3000)]);
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
    row({
      name: `GET /api/symbols ${n} sym: p50 latency`,
      unit: 'ms',
      value: r.web.latency.p50,
      baseline: r.baseline.latency.p50,
      baselineLabel: 'bare Express',
      target: '',
      pass: null,
    }),
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
      name: `GET /api/symbols ${n} sym: p99, 1 connection`,
      unit: 'ms',
      value: r.webOneConnection.latency.p99,
      baseline: r.baselineOneConnection.latency.p99,
      baselineLabel: 'bare Express',
      target: '',
      pass: null,
      note: `no queueing: p50 ${r.webOneConnection.latency.p50.toFixed(2)} ms (baseline ${r.baselineOneConnection.latency.p50.toFixed(2)} ms), ${Math.round(r.webOneConnection.rps)} req/s`,
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
