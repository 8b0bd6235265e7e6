// Analyzer CPU/memory benchmarks; each runs in a fresh child process (bench/dist/workers/analyzer.js) so the
// numbers are not disturbed by the load generator's heap or JIT state.
import type { BenchConfig } from '../lib/config';
import { runWorker } from '../lib/procs';
import { row, type Row } from '../lib/report';
import type { Summary } from '../lib/stats';

export interface IngestResult {
  frames: number;
  symbols: number;
  avgFrameBytes: number;
  mix: Record<string, number>;
  ingestPerSecond: number;
  parsePerSecond: number;
  ingestRuns: number[];
  parseRuns: number[];
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
  tradesHeldAvg: number;
}

export function benchIngest(cfg: BenchConfig): Promise<IngestResult> {
  return runWorker<IngestResult>('workers/analyzer.js', ['ingest', String(cfg.ingestFrames)]);
}

export function benchCycle(n: number, cfg: BenchConfig): Promise<CycleResult> {
  const coldRuns = n <= 50 ? cfg.cycles : 5;
  return runWorker<CycleResult>('workers/analyzer.js', ['cycle', String(n), String(cfg.cycles), String(coldRuns)]);
}

export function benchRss(cfg: BenchConfig): Promise<RssResult> {
  return runWorker<RssResult>('workers/analyzer.js', ['rss', '500', String(cfg.replayMinutes), String(cfg.replayRate), String(cfg.rssScoreEveryS)], {}, 900_000);
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
  ];
}

export function cycleRows(r: CycleResult): Row[] {
  const n = r.symbols;
  const target = n >= 500 ? '≤ 100 ms' : '';
  const note = `${r.scored}/${n} scored; baseline = building the ${n} snapshots`;
  return [
    row({ name: `scoring cycle ${n} sym: cold p50`, unit: 'ms', value: r.cold.p50, baseline: r.coldSnapshots.p50, baselineLabel: 'snapshots only', target: '', pass: null, note: `fresh engine, ${r.cold.n} runs` }),
    row({ name: `scoring cycle ${n} sym: cold p95`, unit: 'ms', value: r.cold.p95, baseline: r.coldSnapshots.p95, baselineLabel: 'snapshots only', target: '', pass: null }),
    row({ name: `scoring cycle ${n} sym: warm p50`, unit: 'ms', value: r.warm.p50, baseline: r.warmSnapshots.p50, baselineLabel: 'snapshots only', target, pass: target ? r.warm.p50 <= 100 : null, note }),
    row({
      name: `scoring cycle ${n} sym: warm p95`,
      unit: 'ms',
      value: r.warm.p95,
      baseline: r.warmSnapshots.p95,
      baselineLabel: 'snapshots only',
      target,
      pass: target ? r.warm.p95 <= 100 : null,
      note: `${r.warm.n} cycles, max ${Math.round(r.warm.max)} ms`,
    }),
  ];
}

export function rssRows(r: RssResult): Row[] {
  return [
    row({
      name: `RSS after ${r.marketMinutes}-min replay, ${r.symbols} sym`,
      unit: 'MB',
      value: r.after.rssMb,
      baseline: r.before.rssMb,
      baselineLabel: 'same process before',
      target: '≤ 300 MB',
      pass: r.after.rssMb <= 300,
      note: `heap used ${Math.round(r.after.heapMb)} MB / total ${Math.round(r.after.heapTotalMb)} MB, typed arrays ${Math.round(r.after.arrayBuffersMb)} MB; ${r.messages.toLocaleString('en-US')} msgs, ${r.cycles} scoring cycles, ~${r.tradesHeldAvg} trades/sym held`,
    }),
  ];
}
