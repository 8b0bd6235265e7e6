// The synthetic recording generator: the file is what the analyzer's recorder would write, its REST part answers
// every warm-up request, its frames parse and are in time order, and a seed gives the same bytes.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  BybitRestClient,
  createNormalizer,
  createReplayTransport,
  fetchUniverse,
  KLINE_BACKFILL,
  MarketStore,
  restKey,
  scanRecording,
  Warmup,
} from '@confluence/analyzer';
import { silentLogger } from '@confluence/logger';
import { topicsForSymbol } from '@confluence/bybit-wire';
import {
  aggregateTrades,
  DEFAULT_START,
  LATENCY_MS,
  makeRecording,
  parseArgs,
  planRegimes,
  THINNING_DEFAULTS,
  topicsFor,
  warmupRequests,
  type RecordingResult,
} from '../src/make-recording';
import type { SimTrade } from '../src/symbol-market';

interface Line {
  k: string;
  t?: number;
  c?: number;
  m?: string;
  p?: string;
  s?: number;
  b?: string;
  v?: number;
  startedAt?: number;
  source?: string;
  wsUrl?: string;
  generator?: { symbols: string[]; regimeChanges: unknown[] };
}

interface Frame {
  topic?: string;
  type?: string;
  ts?: number;
  op?: string;
  success?: boolean;
  ret_msg?: string;
  data?: unknown;
}

const MINUTES = 10;
const SYMBOLS = 3;
let dir: string;
let result: RecordingResult;
let lines: Line[];

const sha = (file: string): string => createHash('sha256').update(fs.readFileSync(file)).digest('hex');
const wsFrames = (): Array<{ t: number; frame: Frame; raw: string }> =>
  lines.filter((l) => l.k === 'ws').map((l) => ({ t: l.t!, frame: JSON.parse(l.m!) as Frame, raw: l.m! }));

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'make-recording-'));
  result = await makeRecording({ out: path.join(dir, 'rec.jsonl'), minutes: MINUTES, symbols: SYMBOLS, seed: 42, regimeMinutes: 4 });
  lines = fs
    .readFileSync(result.file, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Line);
}, 60_000);

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('make-recording', () => {
  test('when generated, then every line is JSON, the meta line comes first and the counts match the file', () => {
    expect(lines.length).toBe(result.lines);
    expect(fs.statSync(result.file).size).toBe(result.bytes);
    expect(lines[0]).toMatchObject({ k: 'meta', v: 1, source: 'sim', startedAt: DEFAULT_START });
    expect(typeof lines[0].wsUrl).toBe('string');
    expect(lines.slice(1).every((l) => l.k === 'ws' || l.k === 'rest')).toBe(true);
    expect(result.symbols).toEqual(['BTCUSDT', 'ETHUSDT', 'SOLUSDT']);
    expect(lines[0].generator?.symbols).toEqual(result.symbols);
    expect(result.startedAt).toBe(DEFAULT_START);
    expect(result.endedAt).toBe(DEFAULT_START + MINUTES * 60_000 + LATENCY_MS);
  });

  test('when the analyzer scans it, then nothing is malformed and the symbols and REST answers are found', async () => {
    const index = await scanRecording(result.file);
    expect(index.badLines).toBe(0);
    expect(index.meta).toMatchObject({ k: 'meta', source: 'sim' });
    expect([...index.symbols].sort()).toEqual([...result.symbols].sort());
    expect(index.wsLines).toBe(lines.filter((l) => l.k === 'ws').length);
    // One answer per warm-up request, keyed as the replay looks them up.
    const requests = warmupRequests(result.symbols);
    expect(requests).toHaveLength(2 + 7 * SYMBOLS);
    expect([...index.rest.keys()].sort()).toEqual(requests.map(restKey).sort());
    const rest = lines.filter((l) => l.k === 'rest');
    expect(rest.every((l) => l.s === 200 && l.t === DEFAULT_START && JSON.parse(l.b!).retCode === 0)).toBe(true);
    // REST answers precede every frame.
    const firstWs = lines.findIndex((l) => l.k === 'ws');
    expect(lines.findLastIndex((l) => l.k === 'rest')).toBeLessThan(firstWs);
  });

  test("when the analyzer's universe selection and warm-up run against the recording, then every request is answered", async () => {
    const index = await scanRecording(result.file);
    const rest = new BybitRestClient({ transport: createReplayTransport(index), logger: silentLogger(), limiter: null, timing: { maxAttempts: 1 } });
    try {
      const universe = await fetchUniverse(rest, { topSymbols: SYMBOLS }, silentLogger());
      expect(universe.symbols).toEqual(result.symbols);
      const store = new MarketStore({ now: () => DEFAULT_START });
      for (const s of result.symbols) store.add(s);
      const warmup = new Warmup({ rest, store, logger: silentLogger(), poll: false, retry: false });
      warmup.add(result.symbols);
      await warmup.idle();
      expect(warmup.progress()).toMatchObject({ done: SYMBOLS, total: SYMBOLS, complete: true, failed: 0 });
      expect(rest.counters.errors).toBe(0);
      for (const s of result.symbols) {
        const candles = await rest.klines(s, '1', KLINE_BACKFILL);
        expect(candles).toHaveLength(KLINE_BACKFILL);
        // The candle open at the start time is the only unconfirmed one.
        expect(candles.filter((c) => !c.confirmed).map((c) => c.start)).toEqual([DEFAULT_START]);
      }
    } finally {
      rest.close();
    }
  });

  test('when the frames are read, then they are in time order, parse without a malformed one and cover every topic', () => {
    const frames = wsFrames();
    for (let i = 1; i < frames.length; i++) if (frames[i].t < frames[i - 1].t) throw new Error(`frame ${i} goes back in time`);
    expect(frames.every((f) => f.t >= DEFAULT_START)).toBe(true);
    const normalizer = createNormalizer({ logger: silentLogger() });
    for (const f of frames) normalizer.normalize(f.raw, f.t);
    expect(Object.values(normalizer.counters.malformed).reduce((a, b) => a + b, 0)).toBe(0);
    const topics = new Set(frames.map((f) => f.frame.topic).filter(Boolean));
    const expected = result.symbols.flatMap((s) => topicsForSymbol(s));
    expect(result.symbols.flatMap(topicsFor)).toEqual(expected);
    // allLiquidation is rare: every other topic has frames in ten minutes.
    for (const t of expected.filter((x) => !x.startsWith('allLiquidation'))) expect({ topic: t, seen: topics.has(t) }).toEqual({ topic: t, seen: true });
    // Frame time stamps are the virtual send time, the line's t the receive time just after.
    expect(frames.filter((f) => f.frame.ts !== undefined).every((f) => f.t - f.frame.ts! === LATENCY_MS)).toBe(true);
  });

  test('when subscribing, then each request of at most 10 topics is answered and every book, ticker and kline topic starts with a snapshot', () => {
    const frames = wsFrames();
    const acks = frames.filter((f) => f.frame.op === 'subscribe');
    expect(acks).toHaveLength(Math.ceil((SYMBOLS * 8) / 10));
    expect(acks.every((a) => a.frame.success === true && a.t === DEFAULT_START + LATENCY_MS)).toBe(true);
    expect(frames.filter((f) => f.frame.op === 'ping' && f.frame.ret_msg === 'pong')).toHaveLength((MINUTES * 60) / 20);
    for (const s of result.symbols) {
      for (const topic of [`orderbook.50.${s}`, `tickers.${s}`]) {
        const of = frames.filter((f) => f.frame.topic === topic);
        expect({ topic, types: [of[0].frame.type, of[0].t], deltas: of.slice(1).every((f) => f.frame.type === 'delta') }).toEqual({
          topic,
          types: ['snapshot', DEFAULT_START + LATENCY_MS],
          deltas: true,
        });
      }
      // Book deltas carry consecutive update ids, every bookMs of virtual time.
      const book = frames.filter((f) => f.frame.topic === `orderbook.50.${s}`).map((f) => ({ t: f.t, u: (f.frame.data as { u: number }).u }));
      for (let i = 1; i < book.length; i++) {
        expect(book[i].u).toBe(book[i - 1].u + 1);
        expect((book[i].t - book[0].t) % THINNING_DEFAULTS.bookMs).toBe(0);
      }
      expect(book.length).toBeGreaterThanOrEqual((MINUTES * 60_000) / THINNING_DEFAULTS.bookMs);
    }
  });

  test('when minutes close, then each kline topic sends its confirmed candle at the boundary', () => {
    const frames = wsFrames();
    for (const s of result.symbols) {
      for (const [interval, ms] of [
        ['1', 60_000],
        ['5', 300_000],
      ] as const) {
        const confirms = frames.flatMap((f) =>
          f.frame.topic === `kline.${interval}.${s}`
            ? (f.frame.data as Array<{ start: number; end: number; confirm: boolean }>).filter((k) => k.confirm).map((k) => ({ t: f.t, ...k }))
            : [],
        );
        const n = (MINUTES * 60_000) / ms;
        expect(confirms.map((c) => c.start)).toEqual(Array.from({ length: n }, (_, i) => DEFAULT_START + i * ms));
        for (const c of confirms) {
          expect(c.end).toBe(c.start + ms - 1);
          expect(c.t).toBe(c.start + ms + LATENCY_MS);
        }
      }
    }
  });

  test('when trades are published, then each window carries at most one print per taker side', () => {
    const frames = wsFrames().filter((f) => f.frame.topic?.startsWith('publicTrade.'));
    expect(frames.length).toBeGreaterThan(0);
    for (const f of frames) {
      const sides = (f.frame.data as Array<{ S: string }>).map((x) => x.S);
      expect(new Set(sides).size).toBe(sides.length);
      expect((f.t - LATENCY_MS - DEFAULT_START) % THINNING_DEFAULTS.tradeMs).toBe(0);
    }
  });

  test('when the regime schedule is planned, then it is in the meta line, alternates regimes and depends only on the seed', () => {
    expect(result.regimeChanges.length).toBeGreaterThan(0);
    expect(lines[0].generator?.regimeChanges).toEqual(result.regimeChanges);
    const initial = new Map(result.symbols.map((s) => [s, { regime: 'range' as const, strength: 1 }]));
    const a = planRegimes(7, initial, 0, 6 * 3_600_000, 60 * 60_000);
    expect(planRegimes(7, initial, 0, 6 * 3_600_000, 60 * 60_000)).toEqual(a);
    expect(planRegimes(8, initial, 0, 6 * 3_600_000, 60 * 60_000)).not.toEqual(a);
    for (const s of result.symbols) {
      const seq = ['range', ...a.filter((c) => c.symbol === s).map((c) => c.regime)];
      for (let i = 1; i < seq.length; i++) expect(seq[i]).not.toBe(seq[i - 1]);
    }
    expect(a.every((c, i) => i === 0 || c.at >= a[i - 1].at)).toBe(true);
  });

  test('when generated twice with one seed, then the bytes are the same; another seed gives another file', async () => {
    const opts = { minutes: 2, symbols: 2, regimeMinutes: 1 };
    const a = await makeRecording({ ...opts, out: path.join(dir, 'a.jsonl'), seed: 5 });
    const b = await makeRecording({ ...opts, out: path.join(dir, 'b.jsonl'), seed: 5 });
    const c = await makeRecording({ ...opts, out: path.join(dir, 'c.jsonl'), seed: 6 });
    expect(sha(b.file)).toBe(sha(a.file));
    expect(sha(c.file)).not.toBe(sha(a.file));
  }, 30_000);

  test('when trades are aggregated, then volume and the taker split are kept', () => {
    const t = (seq: number, side: 'Buy' | 'Sell', priceTicks: number, units: number): SimTrade => ({
      time: 1000 + seq,
      side,
      units,
      priceTicks,
      tickDirection: 'PlusTick',
      id: `id${seq}`,
      seq,
      blockTrade: false,
      rpi: false,
    });
    const trades = [t(1, 'Buy', 100, 2), t(2, 'Sell', 99, 1), t(3, 'Buy', 101, 3), t(4, 'Buy', 100, 1)];
    expect(aggregateTrades(trades, 'none')).toEqual(trades);
    expect(aggregateTrades(trades, 'side').map((x) => [x.side, x.units, x.priceTicks, x.id])).toEqual([
      ['Sell', 1, 99, 'id2'],
      ['Buy', 6, 100, 'id4'],
    ]);
    expect(aggregateTrades(trades, 'price').map((x) => [x.side, x.units, x.priceTicks])).toEqual([
      ['Sell', 1, 99],
      ['Buy', 3, 101],
      ['Buy', 3, 100],
    ]);
  });

  test('when the command line is parsed, then options map and mistakes are reported', () => {
    expect(parseArgs(['--out', 'x.jsonl', '--hours', '6', '--symbols', '15', '--seed', '42'])).toMatchObject({
      out: 'x.jsonl',
      hours: 6,
      symbols: 15,
      seed: 42,
      quiet: false,
    });
    expect(parseArgs(['--out=x', '--minutes=3', '--trades', 'price', '--strength', '0.5-2', '--quiet'])).toMatchObject({
      minutes: 3,
      aggregateTrades: 'price',
      trendStrength: [0.5, 2],
      quiet: true,
    });
    expect(parseArgs(['--out', 'x', '--start', '2025-01-01T00:00:00Z']).startTime).toBe(Date.UTC(2025, 0, 1));
    expect(() => parseArgs(['--hours', '1'])).toThrow(/--out is required/);
    expect(() => parseArgs(['--out', 'x', '--hours', 'six'])).toThrow(/--hours must be a number/);
    expect(() => parseArgs(['--out', 'x', '--bogus', '1'])).toThrow(/unknown option --bogus/);
    expect(() => parseArgs(['--out', 'x', '--trades', 'all'])).toThrow(/--trades must be/);
    expect(() => parseArgs(['--out', 'x', 'extra'])).toThrow(/unexpected argument "extra"/);
    expect(() => parseArgs(['--out'])).toThrow(/--out needs a value/);
    expect(() => parseArgs(['--out', 'x', '--quiet=yes'])).toThrow(/--quiet takes no value/);
  });

  test('when options are out of range, then makeRecording refuses before writing', async () => {
    await expect(makeRecording({ out: path.join(dir, 'bad.jsonl'), symbols: 0 })).rejects.toThrow(/symbols/);
    await expect(makeRecording({ out: path.join(dir, 'bad.jsonl'), minutes: 1, bookMs: 150 })).rejects.toThrow(/multiple of tickMs/);
    expect(fs.existsSync(path.join(dir, 'bad.jsonl'))).toBe(false);
  });
});
