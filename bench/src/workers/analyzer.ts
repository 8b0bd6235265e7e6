// Analyzer CPU and memory benchmarks, each in a fresh process (run with --expose-gc):
//   node bench/dist/workers/analyzer.js ingest <frames>
//   node bench/dist/workers/analyzer.js cycle <symbols> <warmCycles> <coldRuns>
//   node bench/dist/workers/analyzer.js rss <symbols> <marketMinutes> <messagesPerSecond>
//   node bench/dist/workers/analyzer.js live <symbols> <seconds> <messagesPerSymbolPerSecond> <workers (0: main thread)> <intake thread (0/1)>
// Prints one JSON line {"result": …} on stdout.
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { getHeapSpaceStatistics, writeHeapSnapshot } from 'node:v8';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { topicsForSymbol } from '@confluence/bybit-wire';
import { DEFAULT_HEAP_GROWING_PERCENT } from '@confluence/config';
import { createEngine, tradeCount, type Engine } from '@confluence/confluence';
import { createCache } from '@confluence/cache';
import { computeOverview, createKeys, type SymbolDetail, type SymbolRow } from '@confluence/contracts';
import {
  createNormalizer,
  inThreadScorer,
  isControlEvent,
  type DataEvent,
  type IntakePool,
  type MarketStore,
  ThreadedWsPool,
  WsPool,
  MoveTracker,
  Publisher,
  Scoreboard,
  ScoringPool,
  scoreAll,
  scoreAllSync,
  toDetail,
  toRow,
  tuneHeap,
  type MarketEvent,
  type Scored,
  type Scorer,
  type ScoreSource,
} from '@confluence/analyzer';
import { silentLogger } from '@confluence/logger';
import { heartbeatData, syntheticFrameStream } from '@confluence/testkit';
import { benchFrames, benchIngest, benchIngestThreaded } from '../lib/ingest';
import { MARKET_START, SyntheticMarket, symbolNames } from '../lib/market';
import { median, nowMs, summarize } from '../lib/stats';

const gc = (): void => {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g) {
    g();
    g();
  }
};
const rssMb = (): number => process.memoryUsage().rss / 1024 / 1024;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** RSS after global.gc(); V8 returns freed pages to the OS from a background task, so give it a moment. */
async function settledMemory(): Promise<{ rssMb: number; heapMb: number; heapTotalMb: number; arrayBuffersMb: number }> {
  gc();
  await sleep(500);
  gc();
  await sleep(500);
  const m = process.memoryUsage();
  return { rssMb: m.rss / 1024 / 1024, heapMb: m.heapUsed / 1024 / 1024, heapTotalMb: m.heapTotal / 1024 / 1024, arrayBuffersMb: m.arrayBuffers / 1024 / 1024 };
}

/** Where the heap's committed size goes (space → committed / used MB), to tell live data from retained pages. */
function heapSpaces(): Record<string, { sizeMb: number; usedMb: number }> {
  return Object.fromEntries(
    getHeapSpaceStatistics().map((sp) => [
      sp.space_name,
      { sizeMb: +(sp.space_size / 1048576).toFixed(1), usedMb: +(sp.space_used_size / 1048576).toFixed(1) },
    ]),
  );
}

function out(result: unknown): void {
  process.stdout.write(`${JSON.stringify({ result })}\n`);
}

// ---------------------------------------------------------------------------------------------
// Ingest: the intake engineer's benchIngest (normalize + MarketStore) vs JSON.parse alone, same frames.

function parseOnly(frames: readonly string[]): { perSecond: number; seconds: number } {
  let sink = 0;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < frames.length; i++) {
    const m = JSON.parse(frames[i]) as { ts?: number };
    if (m.ts !== undefined) sink++;
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (sink < 0) process.stdout.write('');
  return { perSecond: frames.length / seconds, seconds };
}

async function ingest(count: number): Promise<void> {
  const symbols = 50;
  const tGen = nowMs();
  const frames = benchFrames(count, symbols);
  const genMs = nowMs() - tGen;
  const mix: Record<string, number> = {};
  for (const f of frames) {
    const m = /"topic":"([A-Za-z]+)/.exec(f);
    const k = m ? m[1] : '?';
    mix[k] = (mix[k] ?? 0) + 1;
  }
  const bytes = frames.reduce((n, f) => n + f.length, 0);
  // JIT warm-up of both paths on a slice, then 3 alternating measured runs of each over all frames.
  benchIngest(frames.slice(0, 30_000));
  parseOnly(frames.slice(0, 30_000));
  const ingestRuns: number[] = [];
  const parseRuns: number[] = [];
  const threadedRuns: number[] = [];
  for (let i = 0; i < 3; i++) {
    gc();
    ingestRuns.push(benchIngest(frames).perSecond);
    gc();
    parseRuns.push(parseOnly(frames).perSecond);
    gc();
    threadedRuns.push((await benchIngestThreaded(frames)).perSecond);
  }
  out({
    frames: frames.length,
    symbols,
    avgFrameBytes: Math.round(bytes / frames.length),
    mix,
    generateMs: Math.round(genMs),
    ingestPerSecond: median(ingestRuns),
    parsePerSecond: median(parseRuns),
    threadedPerSecond: median(threadedRuns),
    ingestRuns,
    parseRuns,
    threadedRuns,
  });
}

// ---------------------------------------------------------------------------------------------
// Scoring cycle: what the analyzer does every second before publishing (scoreAll with its yields, rows, details,
// moves, overview) over a MarketStore of N symbols; the baseline is building the N snapshots alone.

interface CycleTiming {
  totalMs: number;
  snapshotsMs: number;
  scoredCount: number;
}

async function timedCycle(engine: Engine, market: SyntheticMarket, source: ScoreSource, moves: MoveTracker): Promise<CycleTiming> {
  const now = market.now();
  const symbols = source.symbols();
  const t0 = nowMs();
  // Snapshots first (the store caches them per version), then the cycle proper, which takes them from the cache.
  for (const s of symbols) source.snapshot(s);
  const t1 = nowMs();
  const scored: Scored[] = await scoreAll(engine, source, now);
  const rows: SymbolRow[] = [];
  const details = new Map<string, SymbolDetail>();
  for (const s of scored) {
    const move = moves.update(s.symbol, s.result, now);
    rows.push(toRow(s, move));
    const d = toDetail(s, move, null);
    if (d) details.set(s.symbol, d);
  }
  rows.sort((a, b) => a.symbol.localeCompare(b.symbol));
  computeOverview(rows);
  const t2 = nowMs();
  return { totalMs: t2 - t0, snapshotsMs: t1 - t0, scoredCount: scored.filter((s) => s.result !== null).length };
}

async function cycle(n: number, warmCycles: number, coldRuns: number): Promise<void> {
  const tBuild = nowMs();
  const market = new SyntheticMarket({ symbols: symbolNames(n), seed: 5 });
  const buildMs = nowMs() - tBuild;
  const source = market.source();
  const sample = market.store.snapshot(source.symbols()[0])!;
  const shape = {
    candlesPerTimeframe: Object.fromEntries(Object.entries(sample.candles).map(([k, v]) => [k, v.length])),
    bookLevels: { bids: sample.book?.bids.length ?? 0, asks: sample.book?.asks.length ?? 0 },
    trades: tradeCount(sample.trades),
    openInterest: sample.openInterest.length,
    funding: sample.funding.length,
    longShort: sample.longShort.length,
    liquidations: sample.liquidations.length,
    spreadSamples: sample.spreadHistoryBps.length,
  };
  // Cold: the first cycle of a fresh engine (no cached indicator state), each over a market that moved meanwhile.
  const cold: CycleTiming[] = [];
  for (let i = 0; i < coldRuns; i++) {
    market.advance(1000);
    gc();
    cold.push(await timedCycle(createEngine(), market, source, new MoveTracker()));
  }
  // Warm: one engine, one cold cycle first, then `warmCycles` cycles each one market second apart.
  const engine = createEngine();
  const moves = new MoveTracker();
  market.advance(1000);
  const firstCold = await timedCycle(engine, market, source, moves);
  const warm: CycleTiming[] = [];
  // Event-loop delay while the cycles run (what a WebSocket pong would wait for); the market's own second is played
  // between cycles, outside the histogram, as the analyzer's intake spreads it over the second.
  const eld = monitorEventLoopDelay({ resolution: 1 });
  let cyclesMs = 0;
  for (let i = 0; i < warmCycles; i++) {
    market.advance(1000);
    eld.enable();
    const c = await timedCycle(engine, market, source, moves);
    eld.disable();
    cyclesMs += c.totalMs;
    warm.push(c);
  }
  // Baseline: the same process with nothing to do for as long as the cycles took.
  const idle = monitorEventLoopDelay({ resolution: 1 });
  idle.enable();
  await sleep(Math.min(10_000, Math.max(1_000, cyclesMs)));
  idle.disable();
  out({
    symbols: n,
    scored: warm[warm.length - 1]?.scoredCount ?? 0,
    marketBuildMs: Math.round(buildMs),
    snapshotShape: shape,
    cold: summarize(cold.map((c) => c.totalMs)),
    coldSnapshots: summarize(cold.map((c) => c.snapshotsMs)),
    firstColdOfWarmEngineMs: firstCold.totalMs,
    warm: summarize(warm.map((c) => c.totalMs)),
    warmSnapshots: summarize(warm.map((c) => c.snapshotsMs)),
    eventLoopDelay: eldMs(eld),
    idleEventLoopDelay: eldMs(idle),
  });
}

function eldMs(h: IntervalHistogram): { p50: number; p99: number; max: number } {
  return { p50: h.percentile(50) / 1e6, p99: h.percentile(99) / 1e6, max: h.max / 1e6 };
}

// ---------------------------------------------------------------------------------------------
// RSS: N symbols backfilled like a warm-up, then `minutes` of market time as synthetic Bybit frames through
// normalize + MarketStore, the engine scoring every market second (rows and details built as in the cycle).

async function rss(n: number, minutes: number, rate: number, scoreEveryS: number): Promise<void> {
  const before = await settledMemory();
  const symbols = symbolNames(n);
  const engine = createEngine();
  const moves = new MoveTracker();
  // Backfill (candles, OI/funding/long-short history, book, ticker, an initial 15 minutes of trades) via the same
  // seeding as the cycle benchmark, then the live frames on top.
  const tSeed = nowMs();
  const market = new SyntheticMarket({ symbols, seed: 9, start: MARKET_START });
  const seedMs = nowMs() - tSeed;
  const afterBackfill = await settledMemory();
  const store: MarketStore = market.store;
  // The live stream's book snapshot for each symbol replaces the seeded book; from then on its deltas apply.
  let clock = MARKET_START;
  const source: ScoreSource = { symbols: () => store.symbols(), snapshot: (s) => store.snapshot(s), symbolStatus: (s) => store.status(s) };
  const stepMs = 1000 / rate;
  const count = Math.round(minutes * 60 * rate);
  const normalizer = createNormalizer();
  const events: MarketEvent[] = [];
  const scoreEveryMs = scoreEveryS * 1000;
  let nextScoreAt = MARKET_START + scoreEveryMs;
  let cycles = 0;
  let cycleMsTotal = 0;
  let cycleMsMax = 0;
  let lastDetails = new Map<string, SymbolDetail>();
  let peakRss = 0;
  const t0 = nowMs();
  let ingestMs = 0;
  let i = 0;
  let tChunk = nowMs();
  for (const frame of syntheticFrameStream({ symbols, count, startTs: MARKET_START, stepMs, seed: 21 })) {
    i++;
    clock = MARKET_START + i * stepMs;
    market.setClock(clock);
    events.length = 0;
    normalizer.normalizeInto(frame, clock, events);
    for (let k = 0; k < events.length; k++) {
      const ev = events[k];
      if (!isControlEvent(ev)) store.apply(ev);
    }
    if (clock >= nextScoreAt) {
      ingestMs += nowMs() - tChunk;
      nextScoreAt += scoreEveryMs;
      const tc = nowMs();
      const scored = scoreAllSync(engine, source, clock);
      const details = new Map<string, SymbolDetail>();
      const rows: SymbolRow[] = [];
      for (const s of scored) {
        const move = moves.update(s.symbol, s.result, clock);
        rows.push(toRow(s, move));
        const d = toDetail(s, move, null);
        if (d) details.set(s.symbol, d);
      }
      computeOverview(rows);
      lastDetails = details;
      const dt = nowMs() - tc;
      cycles++;
      cycleMsTotal += dt;
      cycleMsMax = Math.max(cycleMsMax, dt);
      if (cycles % 60 === 0) peakRss = Math.max(peakRss, rssMb());
      tChunk = nowMs();
    }
  }
  ingestMs += nowMs() - tChunk;
  const wallMs = nowMs() - t0;
  const after = await settledMemory();
  // Keep the engine's per-symbol indicator state and the move tracker reachable until after the measurement (a
  // live analyzer holds both); without a later use V8 may collect them before \`after\` is taken.
  const keptAlive = scoreAllSync(engine, source, clock).length + (moves.update(symbols[0], null, clock) ? 1 : 0);
  // For finding what holds the memory: BENCH_HEAP_SNAPSHOT=file.heapsnapshot (open in Chrome DevTools → Memory).
  if (process.env.BENCH_HEAP_SNAPSHOT) writeHeapSnapshot(process.env.BENCH_HEAP_SNAPSHOT);
  const sizes = store.sizes(symbols[0]);
  const spaces = heapSpaces();
  let trades = 0;
  for (const s of symbols) trades += store.sizes(s)?.trades ?? 0;
  const scored = [...lastDetails.values()].length;
  out({
    symbols: n,
    marketMinutes: minutes,
    messages: count,
    messagesPerMarketSecond: rate,
    scoreEveryS,
    cycles,
    scoredLastCycle: scored,
    keptAlive,
    cycleMsMean: cycles ? cycleMsTotal / cycles : 0,
    cycleMsMax,
    generateAndIngestPerSecond: count / (ingestMs / 1000),
    wallMs: Math.round(wallMs),
    seedMs: Math.round(seedMs),
    before,
    afterBackfill,
    after,
    spaces,
    // resourceUsage().maxRSS is the kernel's high-water mark (KiB): the true peak, not a sample.
    peakRssMb: Math.max(peakRss, after.rssMb, process.resourceUsage().maxRSS / 1024),
    tradesHeldAvg: Math.round(trades / n),
    sizesOfFirstSymbol: sizes,
  });
}

// ---------------------------------------------------------------------------------------------
// Live: the analyzer's main loop in real time. Exchange frames arrive at `perSymbol` messages per second per symbol
// (sent by a feed process over a loopback WebSocket, paced by the wall clock, decoded and applied in this thread as the
// WebSocket handler does) while the scoring cycle runs once a second, in this thread or in `workers` worker threads,
// followed by the scoreboard and (with BENCH_MEMCACHED) the publisher, as in the analyzer's publish cycle. Measures what a trader's feed would see: cycle time, how late this thread's event
// loop runs (a WebSocket pong waits that long), whether intake keeps up, and the process's memory.

interface Feed {
  port: number;
  /** Stops the feed and returns the CPU time it used (ms). */
  stop(): Promise<number>;
}

/** The feed server (feed-server.ts) in its own process; resolves once it listens. */
function startFeed(n: number, rate: number, seconds: number, preparedSeconds: number): Promise<Feed> {
  const args = [n, rate, seconds, preparedSeconds].map(String);
  const child = spawn(process.execPath, [path.join(__dirname, 'feed-server.js'), ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const kill = () => child.kill('SIGKILL');
  process.once('exit', kill);
  let buf = '';
  child.stdout?.on('data', (d: Buffer) => {
    buf += d.toString();
  });
  const stop = async (): Promise<number> => {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    process.off('exit', kill);
    return Number(/"cpuMs":([\d.]+)/.exec(buf)?.[1] ?? Number.NaN);
  };
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`feed server exited with ${code}`));
    child.once('exit', onExit);
    child.stdout?.on('data', () => {
      const m = /"port":(\d+)/.exec(buf);
      if (m) {
        child.off('exit', onExit);
        resolve({ port: Number(m[1]), stop });
      }
    });
  });
}

async function live(n: number, seconds: number, perSymbol: number, workers: number, thread: boolean): Promise<void> {
  const symbols = symbolNames(n);
  const market = new SyntheticMarket({ symbols, seed: 9, start: MARKET_START });
  const store: MarketStore = market.store;
  const source: ScoreSource = { symbols: () => store.symbols(), snapshot: (s) => store.snapshot(s), symbolStatus: (s) => store.status(s) };
  const scorer: Scorer = workers > 0 ? new ScoringPool({ workers }) : inThreadScorer(createEngine());
  const board = new Scoreboard({ bandRecord: () => null }, 60_000);
  // BENCH_MEMCACHED (host:port): publish each cycle as the analyzer does; without it, rows and details are only built.
  const mcAddress = process.env.BENCH_MEMCACHED;
  const cache = mcAddress ? createCache({ servers: [mcAddress], timeoutMs: 5000 }) : undefined;
  const publisher = cache ? new Publisher({ cache, keys: createKeys(), analyzerId: 'bench', source: 'sim', shard: undefined }) : undefined;
  let publishedBytes = 0;
  const rate = n * perSymbol;
  let clock = MARKET_START;
  let applied = 0;
  let ingestMs = 0;
  const before = rssMb();
  // Frames for the planned run and a margin are built before streaming starts; an overrun is built on the fly.
  const feed = await startFeed(n, rate, 3 * seconds + 5, seconds + 15);
  // Intake: the analyzer's own WebSocket pool (as many connections as it opens for these symbols, each subscribing
  // its block of topics), in this thread or in the intake thread. Intake's share of this thread is timed from the first
  // frame of a socket read (or a batch from the intake thread) to the microtask after it, when the read is done.
  let timing = false;
  let readStart = 0;
  const endRead = (): void => {
    ingestMs += nowMs() - readStart;
    timing = false;
  };
  const startRead = (): void => {
    if (timing) return;
    timing = true;
    readStart = nowMs();
    queueMicrotask(endRead);
  };
  const advance = (frames: number): void => {
    applied += frames;
    clock = MARKET_START + (applied * 1000) / rate;
    market.setClock(clock);
  };
  const url = `ws://127.0.0.1:${feed.port}`;
  const logger = silentLogger();
  const apply = (ev: DataEvent): void => store.apply(ev);
  const normalizer = createNormalizer();
  const pool: IntakePool = thread
    ? new ThreadedWsPool({
        url,
        logger,
        connectsPerWindow: 1_000,
        connectWindowMs: 60_000,
        onData: apply,
        onFrames: (frames) => {
          startRead();
          advance(frames);
        },
      })
    : new WsPool({
        url,
        logger,
        decode: (raw, recvTs) => {
          startRead();
          advance(1);
          return normalizer.normalize(raw, recvTs);
        },
        onData: apply,
      });
  for (const s of symbols) pool.addSymbol(s, topicsForSymbol(s));
  pool.start();
  // Streaming starts once every topic is subscribed; the clock starts with the first frame.
  const firstFrame = nowMs();
  while (applied === 0) {
    if (nowMs() - firstFrame > 60_000) throw new Error('no frame from the feed within 60 s');
    await sleep(5);
  }
  const t0 = nowMs();
  const cpu0 = process.cpuUsage();
  const due = () => ((nowMs() - t0) / 1000) * rate;
  const eld = monitorEventLoopDelay({ resolution: 1 });
  const cycles: number[] = [];
  // Wall time of each part of a measured cycle (intake runs in between whenever a part yields).
  const phases = { scoring: [] as number[], scoreboard: [] as number[], publish: [] as number[] };
  let peakRss = 0;
  let lastScored = 0;
  let maxLagS = 0;
  let measuredFrom: { at: number; applied: number; ingestMs: number; cpu: NodeJS.CpuUsage } | undefined;
  // The first cycles fill the engine caches (and the workers' mirrors); measured from the fourth on.
  // At least 5 measured cycles (a slow first cycle must not leave the run empty), within 3× the planned time.
  for (let i = 0; (nowMs() - t0 < seconds * 1000 || cycles.length < 5) && nowMs() - t0 < 3 * seconds * 1000; i++) {
    const start = nowMs();
    const scored: Scored[] = await scorer.scoreAll(source, clock);
    const scoredAt = nowMs();
    // What the analyzer's publish cycle does after scoring: the scoreboard, then the publisher (JSON of every detail,
    // the table, the overview and the heartbeat) writing to a real memcached.
    const built = await board.buildSliced(scored, clock);
    const overview = computeOverview(built.rows);
    const builtAt = nowMs();
    lastScored = built.details.size;
    if (publisher) {
      const result = await publisher.publish({
        generation: i + 1,
        producedAt: Date.now(),
        details: built.details,
        symbols: { rows: built.rows, pending: built.pending, dropped: 0 },
        overview,
        heartbeat: heartbeatData(Date.now(), i + 1, n),
      });
      if (!result.ok) throw new Error(`publish failed: ${result.error}`);
      publishedBytes = result.bytes;
    }
    const took = nowMs() - start;
    if (i === 3) {
      eld.enable();
      measuredFrom = { at: nowMs(), applied, ingestMs, cpu: process.cpuUsage() };
    }
    if (i >= 3) {
      cycles.push(took);
      phases.scoring.push(scoredAt - start);
      phases.scoreboard.push(builtAt - scoredAt);
      phases.publish.push(start + took - builtAt);
      maxLagS = Math.max(maxLagS, (due() - applied) / rate);
    }
    peakRss = Math.max(peakRss, rssMb());
    await sleep(Math.max(0, 1000 - took));
  }
  eld.disable();
  const wallS = (nowMs() - t0) / 1000;
  const endLagS = (due() - applied) / rate;
  // Rates over the measured cycles (from the fourth on): the feed's start and the first cycles' cache fill are not in them.
  const from = measuredFrom ?? { at: t0, applied: 0, ingestMs: 0, cpu: cpu0 };
  const measuredMs = nowMs() - from.at;
  const cpuUsed = process.cpuUsage(from.cpu);
  const cpuMs = (cpuUsed.user + cpuUsed.system) / 1000;
  const connections = pool.stats().length;
  await pool.stop();
  const feedCpuMs = await feed.stop();
  await scorer.close();
  cache?.close();
  const after = await settledMemory();
  out({
    symbols: n,
    workers,
    intakeThread: thread,
    connections,
    published: publisher !== undefined,
    publishedBytesPerCycle: publishedBytes,
    seconds,
    offeredPerSecond: rate,
    appliedPerSecond: ((applied - from.applied) * 1000) / measuredMs,
    ingestBusyShare: (ingestMs - from.ingestMs) / measuredMs,
    // CPU time over wall time (1.0 = one core): this process (all its threads) and the feed server beside it.
    processCpuShare: cpuMs / measuredMs,
    feedCpuShare: feedCpuMs / (wallS * 1000),
    wallS,
    maxLagS,
    endLagS,
    scoredLastCycle: lastScored,
    cycle: summarize(cycles),
    cyclePhases: { scoring: summarize(phases.scoring), scoreboard: summarize(phases.scoreboard), publish: summarize(phases.publish) },
    eventLoopDelay: eldMs(eld),
    rssBeforeMb: before,
    peakRssMb: Math.max(peakRss, process.resourceUsage().maxRSS / 1024),
    steady: after,
    spaces: heapSpaces(),
  });
}

async function main(): Promise<void> {
  // The same heap setting the analyzer runs with (ANALYZER_HEAP_GROWING_PERCENT, default 50).
  tuneHeap(Number(process.env.ANALYZER_HEAP_GROWING_PERCENT ?? DEFAULT_HEAP_GROWING_PERCENT));
  const [mode, ...args] = process.argv.slice(2);
  const a = args.map(Number);
  switch (mode) {
    case 'ingest':
      return ingest(a[0] || 300_000);
    case 'cycle':
      return cycle(a[0] || 500, a[1] || 20, a[2] || 5);
    case 'rss':
      return rss(a[0] || 500, a[1] || 10, a[2] || 2000, a[3] || 1);
    case 'live':
      return live(a[0] || 500, a[1] || 30, a[2] || 69.1, a[3] ?? 0, a[4] === 1);
    default:
      throw new Error(`unknown mode ${mode}`);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
