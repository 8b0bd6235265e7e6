// `npm run bench` → node --expose-gc bench/dist/run.js
// Runs every benchmark with its baseline in the same run, prints one table, writes bench/results/<name>.json and
// bench/results/latest.json. Exits 0 even when targets are missed (it is a report); 1 only on a crash of the runner.
import os from 'node:os';
import { apiRows, benchApiSize, readPathRows, type ApiSizeResult } from './benches/api';
import {
  benchCycle,
  benchIngest,
  benchLive,
  benchLiveRuns,
  benchRss,
  cycleRows,
  fullUniverseSize,
  headroomRows,
  ingestRows,
  liveRows,
  rssRows,
} from './benches/analyzer';
import { benchFreshness, freshnessRows } from './benches/freshness';
import { benchPublishSize, publishRows, type PublishSizeResult } from './benches/memcached';
import { loadConfig } from './lib/config';
import { buildFixture, type Fixture } from './lib/fixtures';
import { startMemcached, type Memcached } from './lib/procs';
import { machineInfo, missing, renderMarkdown, renderTable, writeResult, type Row } from './lib/report';
import { nowMs } from './lib/stats';
import { errorMessage } from '@confluence/logger';

const log = (m: string) => process.stderr.write(`[bench] ${m}\n`);

interface Section {
  name: string;
  rows: Row[];
  seconds: number;
  error?: string;
  result?: unknown;
}

async function main(): Promise<void> {
  const cfg = loadConfig();
  const machine = machineInfo();
  const started = nowMs();
  const want = (name: string) => !cfg.only || cfg.only.has(name);
  log(`machine: ${machine.cpuModel}, ${machine.cores} cores, ${machine.ramGiB} GiB, node ${machine.node}`);
  log(`config: ${JSON.stringify({ ...cfg, only: cfg.only ? [...cfg.only] : null })}`);
  const busy = machine.loadAvgAtStart[0] > 0.5 * machine.cores;
  if (busy) log(`WARNING: load average ${machine.loadAvgAtStart.join(' / ')} on ${machine.cores} cores before the run: other processes will skew the figures`);
  const sections: Section[] = [];

  async function section<T>(name: string, targets: string[], run: () => Promise<T>, rows: (r: T) => Row[]): Promise<T | undefined> {
    const t0 = nowMs();
    log(`— ${name} —`);
    try {
      const result = await run();
      const s: Section = { name, rows: rows(result), seconds: (nowMs() - t0) / 1000, result };
      sections.push(s);
      writeResult(name, { name, machine, config: { ...cfg, only: undefined }, seconds: s.seconds, rows: s.rows, result });
      log(`${name}: done in ${s.seconds.toFixed(1)} s`);
      return result;
    } catch (err) {
      const message = errorMessage(err);
      log(`${name} FAILED: ${err instanceof Error ? (err.stack ?? message) : message}`);
      const s: Section = {
        name,
        rows: targets.map((t) => missing(`${name}: ${t}`, '', message.split('\n')[0].slice(0, 200))),
        seconds: (nowMs() - t0) / 1000,
        error: message,
      };
      sections.push(s);
      writeResult(name, { name, machine, seconds: s.seconds, error: message, rows: s.rows });
      return undefined;
    }
  }

  // 1 + 4. Web API and memcached publish/read path, against one memcached of our own.
  if (want('api') || want('memcached')) {
    let mc: Memcached | undefined;
    const fixtures = new Map<number, Fixture>();
    try {
      mc = await startMemcached({ memoryMb: 256 });
      for (const n of [15, 500]) {
        const t = nowMs();
        fixtures.set(n, await buildFixture(n));
        log(`fixture ${n} symbols built in ${((nowMs() - t) / 1000).toFixed(1)} s`);
      }
      const apiResults: ApiSizeResult[] = [];
      if (want('api')) {
        for (const n of [15, 500]) {
          const r = await section(`api-symbols-${n}`, ['throughput', 'p99 latency'], () => benchApiSize(cfg, mc!, fixtures.get(n)!), apiRows);
          if (r) apiResults.push(r);
        }
      }
      if (want('memcached')) {
        const pubs: PublishSizeResult[] = [];
        for (const n of [15, 500]) {
          const r = await section(`memcached-publish-${n}`, ['publish cycle'], () => benchPublishSize(mc!, fixtures.get(n)!, cfg.cycles), publishRows);
          if (r) pubs.push(r);
        }
        if (apiResults.length) {
          await section(
            'memcached-read-path',
            ['read path'],
            async () =>
              apiResults.map((r) => ({
                symbols: r.symbols,
                webUsPerRequest: r.webUsPerRequest,
                rawCacheGetUs: r.rawCacheGetUs,
                memcachedGetsDuringWebRun: r.memcachedGetsDuringWebRun,
                webRequests: r.web.requests,
                memcachedGetsPerRequest: r.memcachedGetsPerRequest,
              })),
            () => apiResults.flatMap(readPathRows),
          );
        } else {
          sections.push({
            name: 'memcached-read-path',
            rows: [missing('read path per request', '', 'needs the api benchmark (BENCH_ONLY includes api)')],
            seconds: 0,
          });
        }
      }
    } catch (err) {
      const message = errorMessage(err);
      log(`api/memcached setup FAILED: ${message}`);
      sections.push({ name: 'api-memcached-setup', rows: [missing('api + memcached benchmarks', '', message.slice(0, 200))], seconds: 0, error: message });
    } finally {
      await mc?.stop();
    }
  }

  // 2. Freshness through the whole pipeline.
  if (want('freshness')) await section('freshness', ['api p95', 'sse p95'], () => benchFreshness(cfg), freshnessRows);

  // 3. Analyzer CPU and memory (fresh processes).
  // 15, 500 and the whole universe the simulator lists with SIM_TRADFI=1 (about 800 instruments).
  let full = 0;
  if (want('ingest') || want('cycle') || want('live') || want('rss')) {
    try {
      full = await fullUniverseSize();
    } catch (err) {
      process.stderr.write(`full universe size not measured: ${errorMessage(err)}\n`);
    }
  }
  const sizes = full > 500 ? [15, 500, full] : [15, 500];
  if (want('ingest'))
    await section(
      'analyzer-ingest',
      ['ingest msg/s'],
      () => benchIngest(cfg),
      (r) => [...ingestRows(r), ...headroomRows(r, sizes.slice(1))],
    );
  if (want('cycle')) for (const n of sizes) await section(`scoring-cycle-${n}`, ['cycle time'], () => benchCycle(n, cfg), cycleRows);
  // The live loop at 500 and the full universe: the WebSocket pool in the intake thread (what ANALYZER_INTAKE_THREAD=auto
  // picks on two cores or more) against the same loop with the pool in the main thread, each run liveRuns times; with
  // BENCH_LIVE_WORKERS, one run with that many scoring workers too. Each cycle is published to a memcached of its own.
  if (want('live')) {
    let mc: Memcached | undefined;
    try {
      mc = await startMemcached({ memoryMb: 256 });
      const address = mc.address;
      for (const n of sizes.slice(1)) {
        await section(
          `analyzer-live-${n}`,
          [`live loop at ${n} symbols`],
          async () => {
            const thread = await benchLiveRuns(n, { workers: 0, intakeThread: true }, cfg, address, cfg.liveRuns);
            const main = await benchLiveRuns(n, { workers: 0, intakeThread: false }, cfg, address, cfg.liveRuns);
            const pool = cfg.liveWorkers > 0 ? await benchLive(n, { workers: cfg.liveWorkers, intakeThread: false }, cfg, address) : null;
            return { thread: thread.median, threadRuns: thread.runs, main: main.median, mainRuns: main.runs, pool };
          },
          (r) => [...liveRows(r.thread, r.main, r.threadRuns, r.mainRuns), ...(r.pool ? liveRows(r.pool, r.main, undefined, undefined, true) : [])],
        );
      }
    } finally {
      await mc?.stop();
    }
  }
  if (want('rss')) {
    await section('analyzer-rss', ['RSS at 500 symbols'], () => benchRss(cfg), rssRows);
    if (full > 500) await section(`analyzer-rss-${full}`, [`RSS at ${full} symbols`], () => benchRss(cfg, full), rssRows);
  }

  // Report.
  const order = [
    'api-symbols-15',
    'api-symbols-500',
    'freshness',
    'analyzer-ingest',
    'scoring-cycle-15',
    'scoring-cycle-500',
    'analyzer-rss',
    'memcached-publish-15',
    'memcached-publish-500',
    'memcached-read-path',
    'api-memcached-setup',
  ];
  // The full-universe cycle's name carries its size: it goes right after the 500-symbol one.
  const after = (base: string) => order.indexOf(base) + 0.5;
  const rank = (name: string) =>
    order.includes(name)
      ? order.indexOf(name)
      : name.startsWith('scoring-cycle-')
        ? after('scoring-cycle-500')
        : name.startsWith('analyzer-live-')
          ? after('scoring-cycle-500') + 0.1 + Number(name.slice('analyzer-live-'.length)) / 1e6
          : name.startsWith('analyzer-rss-')
            ? after('analyzer-rss')
            : order.length;
  const rows = [...sections].sort((a, b) => rank(a.name) - rank(b.name)).flatMap((s) => s.rows);
  const totalS = (nowMs() - started) / 1000;
  const table = renderTable(rows);
  const misses = rows.filter((r) => r.pass === false);
  const notMeasured = rows.filter((r) => r.note?.startsWith('NOT MEASURED'));
  process.stdout.write(
    `\nConfluence benchmarks — ${machine.cpuModel}, ${machine.cores} cores, ${machine.ramGiB} GiB RAM, node ${machine.node}, ${machine.date}\n`,
  );
  process.stdout.write(
    `(durations: ${cfg.durationS} s per load run after ${cfg.warmupS} s warm-up, ${cfg.connections} connections; total ${totalS.toFixed(0)} s)\n`,
  );
  const load = (l: number[]) => l.map((v) => v.toFixed(2)).join(' / ');
  process.stdout.write(
    `(load average before: ${load(machine.loadAvgAtStart)}, after: ${load(os.loadavg())}${busy ? ' — the machine was busy: figures are skewed' : ''})\n\n`,
  );
  process.stdout.write(`${table}\n\n`);
  const notes = rows.filter((r) => r.note && !r.note.startsWith('NOT MEASURED'));
  if (notes.length) process.stdout.write(`Notes:\n${notes.map((r) => `  - ${r.name}: ${r.note}`).join('\n')}\n\n`);
  if (misses.length) process.stdout.write(`MISSED TARGETS (${misses.length}):\n${misses.map((r) => `  ✗ ${r.name}: ${r.target}`).join('\n')}\n`);
  else process.stdout.write('All targets met.\n');
  if (notMeasured.length) process.stdout.write(`NOT MEASURED (${notMeasured.length}):\n${notMeasured.map((r) => `  ? ${r.name}: ${r.note}`).join('\n')}\n`);
  const file = writeResult('latest', {
    machine,
    config: { ...cfg, only: cfg.only ? [...cfg.only] : null },
    totalSeconds: totalS,
    loadAvgAtEnd: os.loadavg().map((v) => Math.round(v * 100) / 100),
    rows,
    misses: misses.map((r) => r.name),
    notMeasured: notMeasured.map((r) => r.name),
    tableText: table,
    tableMarkdown: renderMarkdown(rows),
    sections: sections.map((s) => ({ name: s.name, seconds: s.seconds, error: s.error, result: s.result })),
  });
  process.stdout.write(`\nresults: ${file} (and one file per benchmark in the same folder)\n`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`[bench] runner crashed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
