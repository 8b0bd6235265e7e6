/** Knobs, all from the environment so `npm run bench` needs no arguments. */
function num(name: string, fallback: number, min: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const v = Number(raw);
  if (!Number.isFinite(v) || v < min) throw new Error(`${name}=${JSON.stringify(raw)}: expected a number ≥ ${min}`);
  return v;
}

export interface BenchConfig {
  /** autocannon duration per run (s). */
  durationS: number;
  /** autocannon warm-up before each measured run (s). */
  warmupS: number;
  connections: number;
  /** Price jumps in the freshness benchmark. */
  jumps: number;
  /** Warm cycles measured in the scoring and publish benchmarks. */
  cycles: number;
  /** Market minutes replayed in the RSS benchmark. */
  replayMinutes: number;
  /** Exchange messages per market second in the RSS replay (all symbols together). */
  replayRate: number;
  /** The RSS replay scores all symbols every this many market seconds. */
  rssScoreEveryS: number;
  /** Wall-clock seconds of each live-loop run (intake at Bybit's rates, a cycle a second). */
  liveSeconds: number;
  /** Scoring workers of an extra live-loop run with a scoring pool (0: no such run). */
  liveWorkers: number;
  /** Runs of each live-loop setup at each size; the median run is reported, with the range of all. */
  liveRuns: number;
  /** Frames in the ingest benchmark. */
  ingestFrames: number;
  /** Comma-separated subset of benchmarks to run (api, freshness, ingest, cycle, live, rss, memcached); all when empty. */
  only: Set<string> | null;
}

export function loadConfig(): BenchConfig {
  const durationS = num('BENCH_DURATION_S', 10, 1);
  // Quick mode (BENCH_DURATION_S < 10): fewer jumps/cycles and a sparser scoring in the replay; each stays overridable.
  const quick = durationS < 10;
  const only = (process.env.BENCH_ONLY ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return {
    durationS,
    warmupS: num('BENCH_WARMUP_S', quick ? 1 : 2, 0),
    connections: num('BENCH_CONNECTIONS', 32, 1),
    jumps: Math.round(num('BENCH_JUMPS', quick ? 10 : 20, 2)),
    cycles: Math.round(num('BENCH_CYCLES', quick ? 10 : 20, 2)),
    replayMinutes: num('BENCH_REPLAY_MIN', 10, 0.1),
    replayRate: num('BENCH_REPLAY_RATE', 2000, 10),
    rssScoreEveryS: num('BENCH_RSS_SCORE_EVERY_S', quick ? 5 : 1, 1),
    liveSeconds: num('BENCH_LIVE_S', quick ? 15 : 30, 10),
    liveWorkers: num('BENCH_LIVE_WORKERS', 0, 0),
    liveRuns: Math.round(num('BENCH_LIVE_RUNS', 3, 1)),
    ingestFrames: Math.round(num('BENCH_INGEST_FRAMES', quick ? 150_000 : 300_000, 1000)),
    only: only.length ? new Set(only) : null,
  };
}
