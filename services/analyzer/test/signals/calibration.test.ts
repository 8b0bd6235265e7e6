import { calibrationDataSchema } from '@confluence/contracts';
import { silentLogger } from '@confluence/logger';
import { CalibrationStore } from '../../src/signals/calibration';
import { mulberry32 } from '@confluence/testkit';
import { MIN, T0, components, row, tempDir } from './helpers';

const logger = silentLogger();
const H15 = 15 * MIN;
const H1 = 60 * MIN;

/** Ten symbols at score 75 (band ≥70, Bullish) at T0; these are their 15 min forward returns in %. */
const RETURNS_PCT = [1, 2, -1, 0.5, 3, -2, 1.5, 0, 0.2, -0.5];
const SYMBOLS = RETURNS_PCT.map((_, i) => `SYM${i}USDT`);

function priceOnly(symbol: string, price: number, at: number) {
  return row(symbol, { score: null, dataOk: false, price, updatedAt: at, components: components(null) });
}

describe('CalibrationStore', () => {
  let tmp: ReturnType<typeof tempDir>;
  let store: CalibrationStore | null = null;
  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(() => {
    store?.close();
    store = null;
    tmp.cleanup();
  });
  const open = (extra: Partial<ConstructorParameters<typeof CalibrationStore>[0]> = {}) =>
    (store = new CalibrationStore({ dataDir: tmp.dir, logger, ...extra }));

  function fillTenBullish(s: CalibrationStore): void {
    s.sample(
      T0,
      SYMBOLS.map((sym) => row(sym, { score: 75, price: 100, updatedAt: T0 })),
    );
    s.sample(
      T0 + H15,
      SYMBOLS.map((sym, i) => priceOnly(sym, 100 * (1 + RETURNS_PCT[i] / 100), T0 + H15)),
    );
  }

  it('when ten ≥70 samples resolve at 15 min, then hit rate, base rate, skill, mean and median are the hand-computed ones', () => {
    const s = open();
    fillTenBullish(s);
    const data = s.summary();
    expect(calibrationDataSchema.safeParse(data).success).toBe(true);
    const top = data.bands.find((b) => b.band === '≥70')!.byHorizon['15m'];
    // Positive returns: 1, 2, 0.5, 3, 1.5, 0.2 → 6 hits of 10 (a zero return is a miss).
    expect(top.samples).toBe(10);
    expect(top.directional).toBe(10);
    expect(top.hits).toBe(6);
    expect(top.hitRate).toBeCloseTo(0.6, 12);
    // Each symbol has one window: its up share is 1 or 0, so the base equals the hits here (0.6): no skill, and ten is too few to say.
    expect(top.baseRate).toBeCloseTo(0.6, 12);
    expect(top.skill).toBeCloseTo(0, 12);
    expect(top.verdict).toBe('too_few');
    expect(top.skill95).toBeNull();
    expect(top.blocks).toBe(1);
    // Mean 4.7 % / 10; median of (…, 0, 0.2, 0.5, 1, …) = 0.35 %.
    expect(top.meanReturn).toBeCloseTo(0.0047, 12);
    expect(top.medianReturn!).toBeCloseTo(0.0035, 5);
    expect(Math.abs(top.medianReturn! - 0.0035)).toBeLessThanOrEqual(0.0035 * 0.001 + 1e-9);
    // Not yet resolved at 1 h and 4 h; other bands empty.
    expect(data.bands.find((b) => b.band === '≥70')!.byHorizon['1h']).toEqual({
      samples: 0,
      directional: 0,
      hits: 0,
      hitRate: null,
      baseRate: null,
      skill: null,
      skill95: null,
      blocks: 0,
      verdict: 'no_direction',
      meanReturn: null,
      medianReturn: null,
    });
    expect(data.bands.filter((b) => b.band !== '≥70').every((b) => b.byHorizon['15m'].samples === 0)).toBe(true);
    expect(data.totalSamples).toBe(10);
    expect(data.resolvedSamples).toBe(10);
    expect(data.since).toBe(T0);
    expect(data.horizons).toEqual(['15m', '1h', '4h']);
  });

  it('when the direction is Bearish, then a negative return is the hit; Neutral samples count but are not directional', () => {
    const s = open();
    s.sample(T0, [row('AAUSDT', { score: 35, price: 100 }), row('BBUSDT', { score: 25, price: 100 }), row('CCUSDT', { score: 50, price: 100 })]);
    s.sample(T0 + H15, [priceOnly('AAUSDT', 99, T0 + H15), priceOnly('BBUSDT', 101, T0 + H15), priceOnly('CCUSDT', 102, T0 + H15)]);
    const d = s.summary();
    const cell = (band: string) => d.bands.find((b) => b.band === band)!.byHorizon['15m'];
    expect(cell('30–40')).toMatchObject({ samples: 1, directional: 1, hits: 1, hitRate: 1 });
    expect(cell('≤30')).toMatchObject({ samples: 1, directional: 1, hits: 0, hitRate: 0 });
    expect(cell('40–60')).toMatchObject({ samples: 1, directional: 0, hits: 0, hitRate: null, skill: null, verdict: 'no_direction' });
    // Base rate for a Bearish label: how often that symbol moved down (AA: its one window, down).
    expect(cell('30–40').baseRate).toBe(1);
    expect(cell('40–60').meanReturn).toBeCloseTo(0.02, 12);
  });

  it('when the band edges are hit exactly, then 30 → ≤30, 40 → 30–40, 60 → 60–70, 70 → ≥70', () => {
    const s = open();
    s.sample(
      T0,
      [30, 40, 60, 70].map((score, i) => row(`E${i}USDT`, { score, price: 10 })),
    );
    s.sample(
      T0 + H15,
      [0, 1, 2, 3].map((i) => priceOnly(`E${i}USDT`, 10, T0 + H15)),
    );
    const d = s.summary();
    expect(d.bands.map((b) => b.byHorizon['15m'].samples)).toEqual([1, 1, 0, 1, 1]);
  });

  it('when the next sample comes within the tolerance, then it resolves the horizon; later, the sample stays unresolved', () => {
    const s = open();
    s.sample(T0, [row('AAUSDT', { score: 75, price: 100 }), row('BBUSDT', { score: 75, price: 100 })]);
    // AA: first sample after t+15m is at +17m (tolerance 2 min) → resolved at that price, not at the one after.
    s.sample(T0 + 17 * MIN, [priceOnly('AAUSDT', 110, T0 + 17 * MIN)]);
    s.sample(T0 + 18 * MIN, [priceOnly('AAUSDT', 120, T0 + 18 * MIN), priceOnly('BBUSDT', 120, T0 + 18 * MIN)]);
    const cell = s.summary().bands[4].byHorizon['15m'];
    // BB's first sample after t+15m is at +18m, beyond the tolerance: unresolved.
    expect(cell.samples).toBe(1);
    expect(cell.meanReturn).toBeCloseTo(0.1, 12);
    expect(s.summary().resolvedSamples).toBe(1);
    expect(s.summary().totalSamples).toBe(2);
  });

  it('when a sample is earlier than t+h, then it does not resolve the horizon', () => {
    const s = open();
    s.sample(T0, [row('AAUSDT', { score: 75, price: 100 })]);
    s.sample(T0 + 14 * MIN, [priceOnly('AAUSDT', 150, T0 + 14 * MIN)]);
    expect(s.summary().bands[4].byHorizon['15m'].samples).toBe(0);
    s.sample(T0 + 15 * MIN, [priceOnly('AAUSDT', 101, T0 + 15 * MIN)]);
    expect(s.summary().bands[4].byHorizon['15m'].meanReturn).toBeCloseTo(0.01, 12);
  });

  it('when the row is stale, gapped or priceless, then it is neither a sample nor a resolving price', () => {
    const s = open();
    s.sample(T0, [
      row('AAUSDT', { score: 75, price: 100, updatedAt: T0 - 5 * MIN }),
      row('BBUSDT', { score: 75, price: 100, dataOk: false }),
      row('CCUSDT', { score: 75, price: null }),
      row('DDUSDT', { score: 75, price: 100 }),
    ]);
    expect(s.stats()).toEqual({ rows: 2, samples: 1, resolved: 0 });
    s.sample(T0 + H15, [priceOnly('DDUSDT', 105, T0 + H15 - 2 * MIN)]);
    expect(s.summary().bands[4].byHorizon['15m'].samples).toBe(0);
  });

  it('when the same minute is sampled twice, then it counts once', () => {
    const s = open();
    s.sample(T0, [row('AAUSDT', { score: 75 })]);
    s.sample(T0, [row('AAUSDT', { score: 75 })]);
    expect(s.summary().totalSamples).toBe(1);
  });

  it('when the database is closed and reopened, then the scoreboard is the same and pending horizons still resolve', () => {
    const s = open();
    fillTenBullish(s);
    const before = s.summary();
    s.close();
    const again = open();
    expect(again.summary()).toEqual(before);
    again.sample(
      T0 + H1,
      SYMBOLS.map((sym) => priceOnly(sym, 102, T0 + H1)),
    );
    const hour = again.summary().bands[4].byHorizon['1h'];
    expect(hour).toMatchObject({ samples: 10, hits: 10, hitRate: 1 });
    expect(hour.meanReturn).toBeCloseTo(0.02, 12);
  });

  it('when components have scores, then each is banded by its own score with its own direction', () => {
    const s = open();
    s.sample(T0, [
      row('AAUSDT', { score: 55, price: 100, components: components(null, { technical: 80, volume: 35, orderflow: 50 }) }),
      row('BBUSDT', { score: 55, price: 100, components: components(null, { technical: 72, volume: 20 }) }),
    ]);
    s.sample(T0 + H15, [priceOnly('AAUSDT', 101, T0 + H15), priceOnly('BBUSDT', 99, T0 + H15)]);
    const d = s.summary();
    const comp = (name: string, band: string) => d.components.find((c) => c.component === name)!.bands.find((b) => b.band === band)!.byHorizon['15m'];
    expect(comp('technical', '≥70')).toMatchObject({ samples: 2, directional: 2, hits: 1, hitRate: 0.5 });
    expect(comp('volume', '30–40')).toMatchObject({ samples: 1, directional: 1, hits: 0 });
    expect(comp('volume', '≤30')).toMatchObject({ samples: 1, directional: 1, hits: 1 });
    expect(comp('orderflow', '40–60')).toMatchObject({ samples: 1, directional: 0, hitRate: null });
    expect(comp('sentiment', '40–60').samples).toBe(0);
    expect(d.bands[2].byHorizon['15m'].samples).toBe(2);
  });

  it('when samples grow older than the retention, then they leave the table and the scoreboard', () => {
    const s = open({ retentionMs: 2 * H1 });
    fillTenBullish(s);
    expect(s.summary().bands[4].byHorizon['15m'].samples).toBe(10);
    s.sample(T0 + 3 * H1, [row('ZZUSDT', { score: 50, updatedAt: T0 + 3 * H1 })]);
    const d = s.summary();
    expect(d.bands[4].byHorizon['15m']).toMatchObject({ samples: 0, hits: 0, meanReturn: null, medianReturn: null });
    expect(d.totalSamples).toBe(1);
    expect(d.resolvedSamples).toBe(0);
    expect(d.since).toBe(T0 + 3 * H1);
    expect(s.stats().rows).toBe(1);
  });

  it('when the table exceeds maxRows, then the oldest rows go', () => {
    const s = open({ maxRows: 10 });
    for (let m = 0; m < 12; m++) s.sample(T0 + m * MIN, [row('AAUSDT', { score: 75, updatedAt: T0 + m * MIN })]);
    expect(s.stats().rows).toBeLessThanOrEqual(10);
    expect(s.summary().since).toBeGreaterThan(T0);
  });

  it('when asked for a band record, then it reports the 1 h record of the score band, null when unknown', () => {
    // minSummaryIntervalMs 0: the record is never reused from an earlier scoreboard.
    const s = open({ minSummaryIntervalMs: 0 });
    expect(s.bandRecord(75)).toBeNull();
    expect(s.bandRecord(null)).toBeNull();
    fillTenBullish(s);
    expect(s.bandRecord(75, '15m')).toEqual({
      band: '≥70',
      horizon: '15m',
      samples: 10,
      hitRate: 0.6,
      meanReturn: expect.closeTo(0.0047, 12),
      baseRate: expect.closeTo(0.6, 12),
      skill: expect.closeTo(0, 12),
      verdict: 'too_few',
    });
    expect(s.bandRecord(75)).toBeNull();
    expect(s.bandRecord(20, '15m')).toBeNull();
  });

  it('when nothing changed, then summaryIfChanged returns null; after a change it waits for the interval', () => {
    let wall = 0;
    const s = open({ now: () => wall, minSummaryIntervalMs: 5000 });
    expect(s.summaryIfChanged()).not.toBeNull();
    expect(s.summaryIfChanged()).toBeNull();
    s.sample(T0, [row('AAUSDT', { score: 75 })]);
    expect(s.summaryIfChanged()).toBeNull();
    wall = 5000;
    expect(s.summaryIfChanged()!.totalSamples).toBe(1);
  });

  it('when a day of minutes is replayed, then exactly the grid samples resolve', () => {
    const s = open();
    const symbols = Array.from({ length: 15 }, (_, i) => `P${i}USDT`);
    const minutes = 24 * 60;
    for (let m = 0; m < minutes; m++) {
      const t = T0 + m * MIN;
      s.sample(
        t,
        symbols.map((sym, i) =>
          row(sym, { score: 20 + ((m * 7 + i * 13) % 60), price: 100 + Math.sin(m / 30 + i) * 5, updatedAt: t, components: components(40 + ((m + i) % 30)) }),
        ),
      );
    }
    const d = s.summary();
    expect(calibrationDataSchema.safeParse(d).success).toBe(true);
    expect(d.totalSamples).toBe(15 * minutes);
    // Every sample at least 15 min before the last minute (within the tolerance) resolved at 15 min.
    // Only the samples on each horizon's grid count (non-overlapping windows): minutes 0, 15, …, 1410 resolve at
    // 15 min (95 a symbol), 0, 240, …, 1080 at 4 h (5 a symbol).
    expect(d.bands.reduce((n, b) => n + b.byHorizon['15m'].samples, 0)).toBe(15 * 95);
    expect(d.bands.reduce((n, b) => n + b.byHorizon['4h'].samples, 0)).toBe(15 * 5);
  });

  it('when samples come every minute, then each horizon counts one per symbol per window (on the horizon grid)', () => {
    const s = open();
    for (let m = 0; m <= 130; m++) s.sample(T0 + m * MIN, [row('AAUSDT', { score: 75, price: 100 + m, updatedAt: T0 + m * MIN })]);
    const top = s.summary().bands[4].byHorizon;
    // 15 min: minutes 0, 15, …, 105 (the window from 120 ends after the last sample) → 8; 1 h: minutes 0 and 60 → 2.
    expect(top['15m'].samples).toBe(8);
    expect(top['1h'].samples).toBe(2);
    expect(top['1h'].meanReturn).toBeCloseTo((160 / 100 - 1 + 220 / 160 - 1) / 2, 12);
    expect(s.summary().resolvedSamples).toBe(131 - 15);
  });
});

/**
 * A synthetic market through the real store: 10 symbols over 3 days, minute prices with a common market factor
 * (the symbols are correlated) and +1 %/day drift; scores persistent over hours (AR(1)), as real scores are.
 */
function market(seed: number, skill: boolean): { minutes: number; rows: (m: number) => ReturnType<typeof row>[] } {
  const rand = mulberry32(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const n = 10;
  const minutes = 3 * 24 * 60;
  const drift = 0.01 / (24 * 60);
  const logP: number[][] = Array.from({ length: n }, () => new Array<number>(minutes + 241).fill(0));
  for (let t = 1; t <= minutes + 240; t++) {
    const f = 0.0008 * normal();
    for (let i = 0; i < n; i++) logP[i][t] = logP[i][t - 1] + drift + f + 0.0005 * normal();
  }
  const state = Array.from({ length: n }, () => Array.from({ length: 7 }, () => 50 + 10 * normal()));
  const clamp = (x: number) => Math.max(0, Math.min(100, x));
  return {
    minutes,
    rows: (m) =>
      Array.from({ length: n }, (_, i) => {
        const st = state[i];
        for (let k = 0; k < 7; k++) st[k] = 50 + 0.995 * (st[k] - 50) + 1.5 * normal();
        let score = clamp(st[0]);
        if (skill) {
          // The score leans the way the next hour goes (z of the 1 h forward move, σ ≈ 0.0094), plus noise.
          const z = (logP[i][m + 60] - logP[i][m]) / 0.0094;
          score = clamp(50 + 14 * z + 4 * normal());
        }
        const comps = {
          technical: clamp(st[1]),
          volume: clamp(st[2]),
          orderflow: clamp(st[3]),
          orderbook: clamp(st[4]),
          structure: clamp(st[5]),
          sentiment: clamp(st[6]),
        };
        return row(`S${i}USDT`, { score, price: 100 * Math.exp(logP[i][m]), updatedAt: T0 + m * MIN, components: comps });
      }),
  };
}

function flaggedShare(d: ReturnType<CalibrationStore['summary']>): { judged: number; flagged: number } {
  let judged = 0;
  let flagged = 0;
  const cells = [...d.bands, ...d.components.flatMap((c) => c.bands)].flatMap((b) => Object.values(b.byHorizon));
  for (const c of cells) {
    if (c.verdict === 'too_few' || c.verdict === 'no_direction') continue;
    judged++;
    if (c.verdict === 'skill' || c.verdict === 'anti') flagged++;
  }
  return { judged, flagged };
}

describe('a scoreboard that cannot fool itself (real store, synthetic market)', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(() => tmp.cleanup());

  function fill(seed: number, skill: boolean): ReturnType<CalibrationStore['summary']> {
    const store = new CalibrationStore({ dataDir: `${tmp.dir}/${seed}-${skill}`, logger });
    const mk = market(seed, skill);
    for (let m = 0; m <= mk.minutes; m++) store.sample(T0 + m * MIN, mk.rows(m));
    const d = store.summary();
    store.close();
    return d;
  }

  // On these three markets the earlier scoreboard (every minute a sample, Wilson interval against 50 %) flagged 202 of
  // its 252 cells with ≥ 30 labelled samples; this one flags 2 of 186.
  it('when scores have no skill (independent of future prices, with drift and correlated symbols), then at most ~10 % of judged cells are flagged', () => {
    let judged = 0;
    let flagged = 0;
    for (const seed of [1, 2, 3]) {
      const d = fill(seed, false);
      expect(calibrationDataSchema.safeParse(d).success).toBe(true);
      const f = flaggedShare(d);
      judged += f.judged;
      flagged += f.flagged;
      // With +1 %/day drift Bullish labels "hit" more than half the time; the base rate takes that away.
      const bull4h = d.bands[4].byHorizon['4h'];
      if (bull4h.hitRate !== null && bull4h.baseRate !== null) expect(Math.abs(bull4h.hitRate - bull4h.baseRate)).toBeLessThan(0.15);
    }
    expect(judged).toBeGreaterThanOrEqual(60);
    expect(flagged / judged).toBeLessThanOrEqual(0.1);
  });

  it('when scores lean the way the next hour goes, then the extreme bands are flagged as skill at 1 h', () => {
    const d = fill(7, true);
    const hour = (band: number) => d.bands[band].byHorizon['1h'];
    for (const band of [0, 4]) {
      expect(hour(band).verdict).toBe('skill');
      expect(hour(band).skill95!.low).toBeGreaterThan(0);
      expect(hour(band).hitRate!).toBeGreaterThan(hour(band).baseRate! + 0.1);
    }
  });
});
