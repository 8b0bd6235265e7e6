// Analyzer CPU/memory benchmarks; each runs in a fresh child process (bench/dist/workers/analyzer.js) so the
// numbers are not disturbed by the load generator's heap or JIT state.
import type { BenchConfig } from '../lib/config';
import { getJson, runWorker, startSimulator } from '../lib/procs';
import { missing, row, type Row } from '../lib/report';
import type { Summary } from '../lib/stats';

export interface IngestResult {
  frames: number;
  symbols: number;
  avgFrameBytes: number;
  mix: Record<string, number>;
  ingestPerSecond: number;
  parsePerSecond: number;
  /** Decoding in a worker thread and applying in the main one, overlapped (the intake thread's split). */
  threadedPerSecond: number;
  ingestRuns: number[];
  parseRuns: number[];
  threadedRuns: number[];
}

export interface CycleResult {
  symbols: number;
  scored: number;
  snapshotShape: Record<string, unknown>;
  cold: Summary;
  coldSnapshots: Summary;
  firstColdOfWarmEngineMs: number;
  warm: Summary;
  warmSnapshots: Summary;
  /** Event-loop delay (perf_hooks monitorEventLoopDelay) while the warm cycles ran, and while the same process idled as long. */
  eventLoopDelay: { p50: number; p99: number; max: number };
  idleEventLoopDelay: { p50: number; p99: number; max: number };
}

interface InstrumentsPage {
  result?: { list?: Array<{ status?: string; contractType?: string; quoteCoin?: string }>; nextPageCursor?: string };
}

/** Instruments Bybit lists in the linear category (about 800, of which ~180 stock/commodity/FX); the simulator serves as many. */
export const FULL_LIST = 800;

/**
 * Size of the whole universe the simulator serves with its full instrument list (SIM_SYMBOLS=800 and SIM_TRADFI=1: crypto and
 * stock/commodity/FX perpetuals): the Trading linear USDT perpetuals of /v5/market/instruments-info, all pages.
 */
export async function fullUniverseSize(): Promise<number> {
  const sim = await startSimulator({ SIM_SEED: '3', SIM_SYMBOLS: String(FULL_LIST), SIM_TRADFI: '1' });
  try {
    let count = 0;
    let cursor = '';
    for (let page = 0; page < 20; page++) {
      const r = await getJson<InstrumentsPage>(
        `${sim.restUrl}/v5/market/instruments-info?category=linear&limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      if (r.status !== 200) throw new Error(`instruments-info answered ${r.status}`);
      for (const i of r.body.result?.list ?? []) if (i.status === 'Trading' && i.contractType === 'LinearPerpetual' && i.quoteCoin === 'USDT') count++;
      cursor = r.body.result?.nextPageCursor ?? '';
      if (!cursor) break;
    }
    if (count === 0) throw new Error('the simulator listed no eligible instrument');
    return count;
  } finally {
    await sim.proc.stop();
  }
}

export interface RssResult {
  symbols: number;
  marketMinutes: number;
  messages: number;
  messagesPerMarketSecond: number;
  scoreEveryS: number;
  cycles: number;
  scoredLastCycle: number;
  cycleMsMean: number;
  cycleMsMax: number;
  wallMs: number;
  before: { rssMb: number; heapMb: number };
  afterBackfill: { rssMb: number; heapMb: number };
  after: { rssMb: number; heapMb: number; heapTotalMb: number; arrayBuffersMb: number };
  peakRssMb: number;
  tradesHeldAvg: number;
}

export function benchIngest(cfg: BenchConfig): Promise<IngestResult> {
  return runWorker<IngestResult>('workers/analyzer.js', ['ingest', String(cfg.ingestFrames)]);
}

export function benchCycle(n: number, cfg: BenchConfig): Promise<CycleResult> {
  const coldRuns = n <= 50 ? cfg.cycles : n <= 500 ? 5 : 3;
  return runWorker<CycleResult>('workers/analyzer.js', ['cycle', String(n), String(cfg.cycles), String(coldRuns)]);
}

/** BENCH_REPLAY_RATE is for 500 symbols; other sizes replay at the same rate per symbol. */
export function benchRss(cfg: BenchConfig, n = 500): Promise<RssResult> {
  const rate = Math.round((cfg.replayRate * n) / 500);
  return runWorker<RssResult>('workers/analyzer.js', ['rss', String(n), String(cfg.replayMinutes), String(rate), String(cfg.rssScoreEveryS)], {}, 900_000);
}

/**
 * Exchange messages per second for `n` active symbols at Bybit's push rates: orderbook.50 every 20 ms (50/s),
 * tickers every 100 ms (10/s), public trades (about 5 pushes/s on an active symbol), four kline topics (about 1/s
 * each), liquidations (rare, 0.1/s).
 */
export const OFFERED_PER_SYMBOL = 50 + 10 + 5 + 4 + 0.1;

/**
 * Ingest headroom at a universe size: the rate the analyzer can take in ÷ the rate the exchange offers. With the
 * intake thread (the default on two cores or more) that is the split pipeline's rate; beside it, one core's.
 */
export function headroomRows(ingest: IngestResult, sizes: readonly number[]): Row[] {
  return sizes.map((n) => {
    const offered = n * OFFERED_PER_SYMBOL;
    return row({
      name: `ingest headroom at ${n} symbols (intake thread)`,
      unit: '×',
      value: ingest.threadedPerSecond / offered,
      baseline: ingest.ingestPerSecond / offered,
      baselineLabel: 'intake in the main thread (1 core)',
      target: n > 500 ? '≥ 2×' : '',
      pass: n > 500 ? ingest.threadedPerSecond / offered >= 2 : null,
      note:
        `offered ${Math.round(offered).toLocaleString('en-US')} msg/s (${OFFERED_PER_SYMBOL} per symbol: book 50, ticker 10, trades 5, klines 4, liquidations 0.1); ` +
        `JSON.parse alone ${(ingest.parsePerSecond / offered).toFixed(2)}×`,
    });
  });
}

export function ingestRows(r: IngestResult): Row[] {
  return [
    row({
      name: 'analyzer ingest (normalize + state, 1 core)',
      unit: 'msg/s',
      value: r.ingestPerSecond,
      baseline: r.parsePerSecond,
      baselineLabel: 'JSON.parse alone',
      target: '≥ 50,000 msg/s',
      pass: r.ingestPerSecond >= 50_000,
      note: `${r.frames.toLocaleString('en-US')} frames, ${r.symbols} symbols, median of 3`,
    }),
    row({
      name: 'analyzer ingest, decoded in the intake thread, applied in the main thread',
      unit: 'msg/s',
      value: r.threadedPerSecond,
      baseline: r.ingestPerSecond,
      baselineLabel: 'both on 1 core',
      target: '',
      pass: null,
      note: `the same frames, batches of 200 frames transferred; median of 3 (${r.threadedRuns.map((x) => Math.round(x).toLocaleString('en-US')).join(', ')})`,
    }),
  ];
}

export function cycleRows(r: CycleResult): Row[] {
  const n = r.symbols;
  const target = n >= 500 ? '≤ 100 ms' : '';
  const note = `${r.scored}/${n} scored; baseline = building the ${n} snapshots`;
  return [
    row({
      name: `scoring cycle ${n} sym: cold p50`,
      unit: 'ms',
      value: r.cold.p50,
      baseline: r.coldSnapshots.p50,
      baselineLabel: 'snapshots only',
      target: '',
      pass: null,
      note: `fresh engine, ${r.cold.n} runs`,
    }),
    row({
      name: `scoring cycle ${n} sym: cold p95`,
      unit: 'ms',
      value: r.cold.p95,
      baseline: r.coldSnapshots.p95,
      baselineLabel: 'snapshots only',
      target: '',
      pass: null,
    }),
    row({
      name: `scoring cycle ${n} sym: warm p50`,
      unit: 'ms',
      value: r.warm.p50,
      baseline: r.warmSnapshots.p50,
      baselineLabel: 'snapshots only',
      target,
      pass: target ? r.warm.p50 <= 100 : null,
      note,
    }),
    row({
      name: `scoring cycle ${n} sym: warm p95`,
      unit: 'ms',
      value: r.warm.p95,
      baseline: r.warmSnapshots.p95,
      baselineLabel: 'snapshots only',
      target,
      pass: target ? r.warm.p95 <= 100 : null,
      note: `${r.warm.n} cycles, max ${Math.round(r.warm.max)} ms; ${((r.warm.p50 * 1000) / n).toFixed(0)} µs/symbol at p50`,
    }),
    row({
      name: `event-loop delay p99 during ${n}-sym cycles`,
      unit: 'ms',
      value: r.eventLoopDelay.p99,
      baseline: r.idleEventLoopDelay.p99,
      baselineLabel: 'same process idle',
      target: n >= 500 ? '≤ 50 ms' : '',
      pass: n >= 500 ? r.eventLoopDelay.p99 <= 50 : null,
      note: `max ${Math.round(r.eventLoopDelay.max)} ms; scoring yields every 25 symbols`,
    }),
  ];
}

export function rssRows(r: RssResult): Row[] {
  return [
    row({
      name: `RSS after ${r.marketMinutes}-min replay, ${r.symbols} sym (steady)`,
      unit: 'MB',
      value: r.after.rssMb,
      baseline: r.before.rssMb,
      baselineLabel: 'same process before',
      target: '≤ 300 MB',
      pass: r.after.rssMb <= 300,
      note: `heap used ${Math.round(r.after.heapMb)} MB / total ${Math.round(r.after.heapTotalMb)} MB, typed arrays ${Math.round(r.after.arrayBuffersMb)} MB; ${r.messages.toLocaleString('en-US')} msgs, ${r.cycles} scoring cycles, ~${r.tradesHeldAvg} trades/sym held`,
    }),
    row({
      name: `RSS peak during that replay, ${r.symbols} sym`,
      unit: 'MB',
      value: r.peakRssMb,
      baseline: r.before.rssMb,
      baselineLabel: 'same process before',
      target: '≤ 400 MB',
      pass: r.peakRssMb <= 400,
      note: `cycle mean ${Math.round(r.cycleMsMean)} ms, max ${Math.round(r.cycleMsMax)} ms (replay clock, cycles scored synchronously)`,
    }),
  ];
}

export interface LiveResult {
  symbols: number;
  workers: number;
  /** Whether the WebSocket pool and the decoding ran in the intake thread (else in the main thread). */
  intakeThread: boolean;
  seconds: number;
  /** Whether each cycle was published to memcached (the scoreboard and the publisher, as in the analyzer). */
  published: boolean;
  publishedBytesPerCycle: number;
  offeredPerSecond: number;
  appliedPerSecond: number;
  ingestBusyShare: number;
  /** CPU time of the analyzer process (all threads) and of the feed process, per wall second (1 = one core). */
  processCpuShare: number;
  feedCpuShare: number;
  maxLagS: number;
  endLagS: number;
  scoredLastCycle: number;
  cycle: Summary;
  eventLoopDelay: { p50: number; p99: number; max: number };
  rssBeforeMb: number;
  peakRssMb: number;
  steady: { rssMb: number; heapMb: number; heapTotalMb: number; arrayBuffersMb: number };
}

/** One live-loop setup: scoring threads (0: the main thread scores) and where the WebSocket pool runs. */
export interface LiveSetup {
  readonly workers: number;
  readonly intakeThread: boolean;
}

/** The live loop (intake at Bybit's rates, a cycle a second) in one setup. */
export function benchLive(n: number, setup: LiveSetup, cfg: BenchConfig, memcached: string): Promise<LiveResult> {
  const args = ['live', String(n), String(cfg.liveSeconds), String(OFFERED_PER_SYMBOL), String(setup.workers), setup.intakeThread ? '1' : '0'];
  return runWorker<LiveResult>('workers/analyzer.js', args, { BENCH_MEMCACHED: memcached }, 300_000);
}

/** Several runs of one live configuration: the run with the median cycle p50, and every run. */
export interface LiveRuns {
  median: LiveResult;
  runs: LiveResult[];
}

/**
 * `runs` live-loop runs in a row. On this shared 2-vCPU machine the same run at the full universe has come out at a
 * cycle p50 of 1.1 s and of 5 s minutes apart (the main thread is near saturation there, so a few per cent more cost
 * per message tips it over), so one run is not a figure: the median run is reported with the range of all of them.
 */
export async function benchLiveRuns(n: number, setup: LiveSetup, cfg: BenchConfig, memcached: string, runs: number): Promise<LiveRuns> {
  const all: LiveResult[] = [];
  for (let i = 0; i < runs; i++) all.push(await benchLive(n, setup, cfg, memcached));
  const sorted = [...all].sort((a, b) => a.cycle.p50 - b.cycle.p50);
  return { median: sorted[Math.floor((sorted.length - 1) / 2)], runs: all };
}

/** "min–max over N runs" of one figure, or '' for a single run. */
function spread(runs: readonly LiveResult[] | undefined, f: (r: LiveResult) => number, digits = 0): string {
  if (!runs || runs.length < 2) return '';
  const xs = runs.map(f);
  const fmt = (x: number) => x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
  return `${runs.length} runs: ${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))}`;
}

const joinNotes = (...parts: string[]): string => parts.filter((p) => p !== '').join('; ');

/** How a live run was set up, in words: where intake ran, and who scored. */
export function liveSide(r: Pick<LiveResult, 'workers' | 'intakeThread'>): string {
  const intake = r.intakeThread ? 'intake thread' : 'intake in main thread';
  return r.workers === 0 ? intake : `${intake}, ${r.workers} scoring workers`;
}

/**
 * Rows of one universe size: setup `a` against setup `b` and `b` against `a`, both measured in this run (with their
 * runs, the rows also give the range over them; `a` and `b` are the median runs). With `onlyFirst`, only `a`'s rows.
 */
export function liveRows(a: LiveResult, b: LiveResult, aRuns?: readonly LiveResult[], bRuns?: readonly LiveResult[], onlyFirst = false): Row[] {
  const n = a.symbols;
  const full = n > 500;
  const out: Row[] = [];
  const pairs = [
    [a, b, aRuns],
    [b, a, bRuns],
  ] as const;
  for (const [r, other, runs] of onlyFirst ? pairs.slice(0, 1) : pairs) {
    const label = `live ${n} sym, ${liveSide(r)}`;
    const vs = liveSide(other);
    if (r.cycle.n === 0 || other.cycle.n === 0) {
      out.push(
        missing(`${label}: cycle, delay, intake, RSS`, full ? 'see the other rows' : '', 'no cycle was measured (the run ended before its warm-up did)'),
      );
      continue;
    }
    out.push(
      row({
        name: `${label}: cycle p50`,
        unit: 'ms',
        value: r.cycle.p50,
        baseline: other.cycle.p50,
        baselineLabel: vs,
        target: '',
        pass: null,
        note: joinNotes(
          `${((r.cycle.p50 * 1000) / n).toFixed(0)} µs/symbol; ${r.published ? `published, ${(r.publishedBytesPerCycle / 1e6).toFixed(1)} MB a cycle` : 'not published'}`,
          spread(runs, (x) => x.cycle.p50),
        ),
      }),
      row({
        name: `${label}: cycle p95`,
        unit: 'ms',
        value: r.cycle.p95,
        baseline: other.cycle.p95,
        baselineLabel: vs,
        target: full ? '≤ 100 ms' : '',
        pass: full ? r.cycle.p95 <= 100 : null,
        note: joinNotes(
          `${r.cycle.n} cycles, max ${Math.round(r.cycle.max)} ms`,
          spread(runs, (x) => x.cycle.p95),
        ),
      }),
      row({
        name: `${label}: event-loop delay p99`,
        unit: 'ms',
        value: r.eventLoopDelay.p99,
        baseline: other.eventLoopDelay.p99,
        baselineLabel: vs,
        target: full ? '≤ 50 ms' : '',
        pass: full ? r.eventLoopDelay.p99 <= 50 : null,
        note: joinNotes(
          `max ${Math.round(r.eventLoopDelay.max)} ms`,
          spread(runs, (x) => x.eventLoopDelay.p99, 1),
        ),
      }),
      row({
        name: `${label}: intake applied`,
        unit: 'msg/s',
        value: r.appliedPerSecond,
        baseline: r.offeredPerSecond,
        baselineLabel: 'offered',
        target: full ? '≥ 0.99× offered' : '',
        pass: full ? r.appliedPerSecond >= 0.99 * r.offeredPerSecond : null,
        note:
          `intake busy ${Math.round(r.ingestBusyShare * 100)} % of the main thread; backlog max ${r.maxLagS.toFixed(2)} s; CPU: ` +
          `analyzer ${r.processCpuShare.toFixed(2)} cores, feed process ${r.feedCpuShare.toFixed(2)}`,
      }),
      row({
        name: `${label}: RSS steady`,
        unit: 'MB',
        value: r.steady.rssMb,
        baseline: r.rssBeforeMb,
        baselineLabel: 'same process before intake',
        target: full ? '≤ 300 MB' : '',
        pass: full ? r.steady.rssMb <= 300 : null,
        note: joinNotes(
          `heap ${Math.round(r.steady.heapMb)} MB used of ${Math.round(r.steady.heapTotalMb)} MB, array buffers ${Math.round(r.steady.arrayBuffersMb)} MB`,
          spread(runs, (x) => x.steady.rssMb),
        ),
      }),
      row({
        name: `${label}: RSS peak`,
        unit: 'MB',
        value: r.peakRssMb,
        baseline: r.rssBeforeMb,
        baselineLabel: 'same process before intake',
        target: full ? '≤ 400 MB' : '',
        pass: full ? r.peakRssMb <= 400 : null,
        note: spread(runs, (x) => x.peakRssMb),
      }),
    );
  }
  return out;
}
