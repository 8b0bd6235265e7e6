import fc from 'fast-check';
import { calibrationDataSchema } from '@confluence/contracts';
import { silentLogger } from '@confluence/logger';
import { CalibrationStore, wilson } from '../../src/signals/calibration';
import { LogHistogram } from '../../src/signals/histogram';
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

describe('wilson', () => {
  it('when given published cases, then matches them to 3 decimals', () => {
    const w8 = wilson(8, 10)!;
    expect(w8.low).toBeCloseTo(0.49, 3);
    expect(w8.high).toBeCloseTo(0.943, 3);
    const w0 = wilson(0, 10)!;
    expect(w0.low).toBe(0);
    expect(w0.high).toBeCloseTo(0.278, 3);
    const w10 = wilson(10, 10)!;
    expect(w10.low).toBeCloseTo(0.722, 3);
    expect(w10.high).toBe(1);
    const w6 = wilson(6, 10)!;
    expect(w6.low).toBeCloseTo(0.313, 3);
    expect(w6.high).toBeCloseTo(0.832, 3);
  });

  it('when n is 0, then there is no interval', () => {
    expect(wilson(0, 0)).toBeNull();
  });

  it('for all hits ≤ n, then the interval lies in [0, 1] and contains hits/n', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 100_000 }), fc.double({ min: 0, max: 1, noNaN: true }), (n, f) => {
        const hits = Math.floor(f * n);
        const w = wilson(hits, n)!;
        return w.low >= 0 && w.high <= 1 && w.low <= hits / n + 1e-12 && w.high >= hits / n - 1e-12;
      }),
    );
  });
});

describe('LogHistogram', () => {
  it('for any values, then the median is within 0.1 % of the exact median', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -0.5, max: 0.5, noNaN: true }), { minLength: 1, maxLength: 200 }), (values) => {
        const h = new LogHistogram();
        values.forEach((v) => h.add(v));
        const s = [...values].sort((a, b) => a - b);
        const n = s.length;
        const mid = n % 2 ? [s[(n - 1) / 2]] : [s[n / 2 - 1], s[n / 2]];
        const exact = mid.reduce((a, b) => a + b, 0) / mid.length;
        const tol = 0.001 * Math.max(...mid.map(Math.abs)) + 2e-6;
        return Math.abs(h.median()! - exact) <= tol;
      }),
    );
  });

  it('when every value is removed again, then it is empty', () => {
    const h = new LogHistogram();
    [0.01, -0.02, 0, 0.3].forEach((v) => h.add(v));
    [0.01, -0.02, 0, 0.3].forEach((v) => h.remove(v));
    expect(h.count).toBe(0);
    expect(h.median()).toBeNull();
  });
});

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
  const open = (extra: Partial<ConstructorParameters<typeof CalibrationStore>[0]> = {}) => (store = new CalibrationStore({ dataDir: tmp.dir, logger, ...extra }));

  function fillTenBullish(s: CalibrationStore): void {
    s.sample(T0, SYMBOLS.map((sym) => row(sym, { score: 75, price: 100, updatedAt: T0 })));
    s.sample(T0 + H15, SYMBOLS.map((sym, i) => priceOnly(sym, 100 * (1 + RETURNS_PCT[i] / 100), T0 + H15)));
  }

  it('when ten ≥70 samples resolve at 15 min, then hit rate, Wilson interval, mean and median are the hand-computed ones', () => {
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
    expect(top.wilson95!.low).toBeCloseTo(0.313, 3);
    expect(top.wilson95!.high).toBeCloseTo(0.832, 3);
    // Mean 4.7 % / 10; median of (…, 0, 0.2, 0.5, 1, …) = 0.35 %.
    expect(top.meanReturn).toBeCloseTo(0.0047, 12);
    expect(top.medianReturn!).toBeCloseTo(0.0035, 5);
    expect(Math.abs(top.medianReturn! - 0.0035)).toBeLessThanOrEqual(0.0035 * 0.001 + 1e-9);
    // Not yet resolved at 1 h and 4 h; other bands empty.
    expect(data.bands.find((b) => b.band === '≥70')!.byHorizon['1h']).toEqual({ samples: 0, directional: 0, hits: 0, hitRate: null, wilson95: null, meanReturn: null, medianReturn: null });
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
    expect(cell('40–60')).toMatchObject({ samples: 1, directional: 0, hits: 0, hitRate: null, wilson95: null });
    expect(cell('40–60').meanReturn).toBeCloseTo(0.02, 12);
  });

  it('when the band edges are hit exactly, then 30 → ≤30, 40 → 30–40, 60 → 60–70, 70 → ≥70', () => {
    const s = open();
    s.sample(T0, [30, 40, 60, 70].map((score, i) => row(`E${i}USDT`, { score, price: 10 })));
    s.sample(T0 + H15, [0, 1, 2, 3].map((i) => priceOnly(`E${i}USDT`, 10, T0 + H15)));
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
    again.sample(T0 + H1, SYMBOLS.map((sym) => priceOnly(sym, 102, T0 + H1)));
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
    const s = open();
    expect(s.bandRecord(75)).toBeNull();
    expect(s.bandRecord(null)).toBeNull();
    fillTenBullish(s);
    expect(s.bandRecord(75, '15m')).toEqual({ band: '≥70', horizon: '15m', samples: 10, hitRate: 0.6, meanReturn: expect.closeTo(0.0047, 12) });
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

  it('when a day of minutes is replayed, then each minute costs well under a millisecond', () => {
    const s = open();
    const symbols = Array.from({ length: 15 }, (_, i) => `P${i}USDT`);
    const started = performance.now();
    const minutes = 24 * 60;
    for (let m = 0; m < minutes; m++) {
      const t = T0 + m * MIN;
      s.sample(t, symbols.map((sym, i) => row(sym, { score: 20 + ((m * 7 + i * 13) % 60), price: 100 + Math.sin(m / 30 + i) * 5, updatedAt: t, components: components(40 + ((m + i) % 30)) })));
    }
    const perMinuteMs = (performance.now() - started) / minutes;
    const d = s.summary();
    expect(calibrationDataSchema.safeParse(d).success).toBe(true);
    expect(d.totalSamples).toBe(15 * minutes);
    // Every sample at least 15 min before the last minute (within the tolerance) resolved at 15 min.
    expect(d.bands.reduce((n, b) => n + b.byHorizon['15m'].samples, 0)).toBe(15 * (minutes - 15));
    expect(d.bands.reduce((n, b) => n + b.byHorizon['4h'].samples, 0)).toBe(15 * (minutes - 240));
    expect(perMinuteMs).toBeLessThan(2);
  });
});
