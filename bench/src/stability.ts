// Score stability benchmark (a report, not a test): replays a recording through the analyzer's own intake parts —
// the recording scan, the REST warm-up answered from the recorded responses, the Bybit normaliser and the market
// store — and scores every symbol once per market second with two engines side by side:
//   new: the engine's defaults (60 s book smoothing, label hysteresis 60/57 and 40/43, label gate with its own hold);
//   old: the same engine with those three switched off (bookSmoothingMs 0, exits = entries, gate 0/0).
// Per symbol it prints label changes per hour, the 1-second score σ (standard deviation of the second-to-second
// change) and the share of seconds on which "why it moved" recorded a new move; it writes
// bench/results/stability.json.
//
//   npm run bench:stability                     # makes a 2 h × 6-symbol recording in virtual time first (about 15 s)
//   node bench/dist/stability.js --recording recordings/x.jsonl [--warmup-min 15] [--hours 2] [--symbols 6]
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createEngine, type Engine, type SymbolScore } from '@confluence/confluence';
import type { Direction } from '@confluence/contracts';
import { silentLogger } from '@confluence/logger';
import { BybitRestClient, createNormalizer, createReplayTransport, feedRecording, MarketStore, MoveTracker, scanRecording, Warmup } from '@confluence/analyzer';

interface Args {
  recording: string | undefined;
  warmupMin: number;
  hours: number;
  symbols: number;
  out: string;
}

function parseArgs(argv: readonly string[]): Args {
  const get = (k: string): string | undefined => {
    const i = argv.indexOf(`--${k}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const num = (k: string, d: number, min: number): number => {
    const v = Number(get(k) ?? d);
    if (!Number.isFinite(v) || v < min)
      throw new Error(
        `--${k} must be a number ≥ ${min}, got ${get(k)}\nusage: node bench/dist/stability.js [--recording FILE | --hours 2 --symbols 6] [--warmup-min 15] [--out FILE]`,
      );
    return v;
  };
  return {
    recording: get('recording'),
    warmupMin: num('warmup-min', 15, 0),
    hours: num('hours', 2, 0.5),
    symbols: num('symbols', 6, 1),
    out: get('out') ?? path.join(__dirname, '..', 'results', 'stability.json'),
  };
}

/** Per symbol and engine: what a trader watching the row would have seen, second by second. */
class Track {
  seconds = 0;
  labelChanges = 0;
  moveSeconds = 0;
  private last: Direction | null | undefined = undefined;
  private lastScore: number | null = null;
  private lastMove: unknown = null;
  private readonly deltas: number[] = [];
  private readonly moves = new MoveTracker();

  add(symbol: string, r: SymbolScore, at: number): void {
    this.seconds++;
    if (this.last !== undefined && r.direction !== this.last) this.labelChanges++;
    this.last = r.direction;
    if (r.score !== null && this.lastScore !== null) this.deltas.push(r.score - this.lastScore);
    this.lastScore = r.score;
    const move = this.moves.update(symbol, r, at);
    if (move !== null && move !== this.lastMove) this.moveSeconds++;
    this.lastMove = move;
  }

  summary(hours: number): { labelChangesPerHour: number; scoreSigma1s: number; moveShare: number; seconds: number } {
    const n = this.deltas.length;
    const mean = n ? this.deltas.reduce((a, b) => a + b, 0) / n : 0;
    const sd = n > 1 ? Math.sqrt(this.deltas.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : 0;
    return {
      labelChangesPerHour: hours > 0 ? this.labelChanges / hours : 0,
      scoreSigma1s: sd,
      moveShare: this.seconds ? this.moveSeconds / this.seconds : 0,
      seconds: this.seconds,
    };
  }
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length === 0 ? NaN : s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** A recording of the simulator's market in virtual time (books and tickers every 2 s, trades every 1 s). */
function makeRecording(hours: number, symbols: number): { file: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'confluence-stability-'));
  const file = path.join(dir, `sim-${hours}h.jsonl`);
  const script = path.join(__dirname, '..', '..', 'services', 'simulator', 'dist', 'make-recording.js');
  execFileSync(
    process.execPath,
    [
      script,
      '--out',
      file,
      '--hours',
      String(hours),
      '--symbols',
      String(symbols),
      '--seed',
      '42',
      '--book-ms',
      '2000',
      '--ticker-ms',
      '2000',
      '--trade-ms',
      '1000',
      '--quiet',
    ],
    { stdio: 'inherit' },
  );
  return { file, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

async function main(): Promise<void> {
  const parsed = parseArgs(process.argv.slice(2));
  const made = parsed.recording === undefined ? makeRecording(parsed.hours, parsed.symbols) : null;
  const args = { ...parsed, recording: parsed.recording ?? made!.file };
  try {
    await run(args);
  } finally {
    made?.cleanup();
  }
}

async function run(args: Args & { recording: string }): Promise<void> {
  const logger = silentLogger();
  const index = await scanRecording(args.recording);
  const rest = new BybitRestClient({ transport: createReplayTransport(index), logger, limiter: null, timing: { maxAttempts: 1 } });
  let clock = index.meta?.startedAt ?? index.firstTs ?? 0;
  const store = new MarketStore({ now: () => clock });
  const symbols = [...index.symbols];
  for (const s of symbols) store.add(s);
  try {
    for (const i of await rest.instruments()) if (store.has(i.symbol)) store.setFundingInterval(i.symbol, i.fundingInterval);
  } catch {
    // no recorded instruments answer: the tickers may still carry the interval
  }
  const warmup = new Warmup({ rest, store, logger, poll: false, retry: false });
  warmup.add(symbols);
  await warmup.idle();

  const engines: Record<'new' | 'old', Engine> = {
    new: createEngine(),
    old: createEngine({
      bookSmoothingMs: 0,
      thresholds: { bullish: 60, bearish: 40, bullishExit: 60, bearishExit: 40, strongBullish: 70, strongBearish: 30 },
      labelGate: { minCompleteness: 0, minConfidence: 0, holdConfidence: 0 },
    }),
  };
  const tracks = { new: new Map<string, Track>(), old: new Map<string, Track>() };
  for (const k of ['new', 'old'] as const) for (const s of symbols) tracks[k].set(s, new Track());
  const normalizer = createNormalizer();
  const first = index.firstTs ?? clock;
  const measureFrom = first + args.warmupMin * 60_000;
  let second = Math.floor(first / 1000);
  let measuredSeconds = 0;
  const started = Date.now();

  const scoreSecond = (at: number) => {
    const measuring = at >= measureFrom;
    if (measuring) measuredSeconds++;
    for (const s of symbols) {
      const status = store.status(s);
      const snap = store.snapshot(s);
      if (!status?.warm || !snap) continue;
      for (const k of ['new', 'old'] as const) {
        const r = engines[k].score(snap, at);
        if (measuring) tracks[k].get(s)!.add(s, r, at);
      }
    }
  };

  await feedRecording({
    file: args.recording,
    speed: Infinity,
    signal: new AbortController().signal,
    onTime: (t) => {
      if (t > clock) clock = t;
      const sec = Math.floor(t / 1000);
      // Every market second crossed is scored once, with the state as it was at that second.
      while (second < sec) {
        second++;
        const at = second * 1000;
        const keep = clock;
        clock = at;
        scoreSecond(at);
        clock = keep;
      }
    },
    onMinute: () => undefined,
    onFrame: (raw, recvTs) => {
      for (const ev of normalizer.normalize(raw, recvTs)) if (ev.type !== 'pong' && ev.type !== 'subscribe_ack') store.apply(ev);
    },
  });

  const hours = measuredSeconds / 3600;
  const per = (k: 'new' | 'old') => Object.fromEntries(symbols.map((s) => [s, tracks[k].get(s)!.summary(hours)]));
  const result = { new: per('new'), old: per('old') };
  const agg = (k: 'new' | 'old') => {
    const rows = Object.values(result[k]);
    return {
      medianLabelChangesPerHour: median(rows.map((r) => r.labelChangesPerHour)),
      maxLabelChangesPerHour: Math.max(...rows.map((r) => r.labelChangesPerHour)),
      medianScoreSigma1s: median(rows.map((r) => r.scoreSigma1s)),
      medianMoveShare: median(rows.map((r) => r.moveShare)),
    };
  };
  const lines: string[] = [];
  const f = (x: number, d = 2) => x.toFixed(d);
  lines.push(
    `recording ${path.basename(args.recording)}: ${symbols.length} symbols, ${f(hours, 2)} h measured after ${args.warmupMin} min warm-up, scored every market second`,
  );
  lines.push('symbol        | label changes/h  new (old) | 1-s score σ  new (old) | seconds with a new move  new (old)');
  for (const s of symbols) {
    const n = result.new[s];
    const o = result.old[s];
    lines.push(
      `${s.padEnd(13)} | ${f(n.labelChangesPerHour, 1).padStart(8)} (${f(o.labelChangesPerHour, 1)})`.padEnd(43) +
        ` | ${f(n.scoreSigma1s, 3).padStart(8)} (${f(o.scoreSigma1s, 3)})`.padEnd(24) +
        ` | ${(n.moveShare * 100).toFixed(1)} % (${(o.moveShare * 100).toFixed(1)} %)`,
    );
  }
  const an = agg('new');
  const ao = agg('old');
  lines.push(
    `median        | ${f(an.medianLabelChangesPerHour, 1)} (${f(ao.medianLabelChangesPerHour, 1)}), max ${f(an.maxLabelChangesPerHour, 1)} (${f(ao.maxLabelChangesPerHour, 1)}) | σ ${f(an.medianScoreSigma1s, 3)} (${f(ao.medianScoreSigma1s, 3)}) | ${(an.medianMoveShare * 100).toFixed(1)} % (${(ao.medianMoveShare * 100).toFixed(1)} %)`,
  );
  const targets = { medianLabelChangesPerHour: '≤ 6', maxLabelChangesPerHour: '≤ 20' };
  const pass = an.medianLabelChangesPerHour <= 6 && an.maxLabelChangesPerHour <= 20;
  lines.push(`target: median label changes ≤ 6 per symbol-hour, none above 20 → ${pass ? 'pass' : 'MISS'} (new engine)`);
  process.stdout.write(`${lines.join('\n')}\n`);
  fs.mkdirSync(path.dirname(args.out), { recursive: true });
  fs.writeFileSync(
    args.out,
    `${JSON.stringify(
      {
        benchmark: 'stability',
        date: new Date().toISOString(),
        machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model ?? null, node: process.version, loadavg: os.loadavg() },
        recording: {
          file: path.basename(args.recording),
          symbols: symbols.length,
          measuredHours: hours,
          warmupMin: args.warmupMin,
          wallSeconds: (Date.now() - started) / 1000,
        },
        settings: { new: 'engine defaults', old: 'bookSmoothingMs 0, exits = entries (no hysteresis), labelGate 0/0' },
        targets,
        pass,
        summary: { new: an, old: ao },
        perSymbol: result,
        table: lines.join('\n'),
      },
      null,
      2,
    )}\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
