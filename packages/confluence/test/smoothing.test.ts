import { BOOK_SMOOTHING_MS, bookFeaturesOf, createEngine } from '@confluence/confluence';
import type { BookFeatures, MarketSnapshot } from '@confluence/confluence';
import { roundRaw } from '../src/math';
import { mirrorSnapshot, syntheticMarket } from './helpers/market';
import { sub } from './helpers/result';

/** Every book measure is averaged over the one-second samples of the last 60 s and the current book. */
describe('order-book smoothing over 60 s', () => {
  const NOW = 1_764_080_000_000;
  const base = syntheticMarket('range', { now: NOW });
  const current = bookFeaturesOf(base.book!.bids, base.book!.asks, base.book!.ts)!;

  function withHistory(s: MarketSnapshot, history: BookFeatures[] | undefined): MarketSnapshot {
    return { ...s, bookHistory: history };
  }
  const sample = (ageMs: number, x: number): BookFeatures => ({ ts: NOW - ageMs, depth: x, touch: x, band10: x, deep: x, walls: x });

  test('when there is no history, then each raw value is the current book alone', () => {
    const r = createEngine().score(withHistory(base, undefined), NOW);
    expect(sub(r, 'orderbook', 'depthImbalance').raw).toBeCloseTo(current.depth!, 5);
    expect(sub(r, 'orderbook', 'topImbalance').raw).toBeCloseTo(current.touch!, 5);
    const again = createEngine().score(withHistory(base, []), NOW);
    expect(sub(again, 'orderbook', 'depthImbalance').raw).toBe(sub(r, 'orderbook', 'depthImbalance').raw);
  });

  test('when the samples of the last 60 s lean the other way, then every book measure is their mean with the current book (hand-computed)', () => {
    // Two samples older than the 60 s window (ignored), then 30 samples of −0.5 inside it: raw = (c + 30·(−0.5)) / 31.
    const history = [
      sample(BOOK_SMOOTHING_MS + 5_000, 0.9),
      sample(BOOK_SMOOTHING_MS + 1_000, 0.9),
      ...Array.from({ length: 30 }, (_, i) => sample(30_000 - i * 1_000, -0.5)),
    ];
    const r = createEngine().score(withHistory(base, history), NOW);
    expect(sub(r, 'orderbook', 'depthImbalance').raw).toBeCloseTo((current.depth! + 30 * -0.5) / 31, 4);
    expect(sub(r, 'orderbook', 'topImbalance').raw).toBeCloseTo((current.touch! + 30 * -0.5) / 31, 4);
    expect(sub(r, 'orderbook', 'depthBand10bps').raw).toBeCloseTo((current.band10! + 30 * -0.5) / 31, 4);
    expect(sub(r, 'orderbook', 'walls').raw).toBeCloseTo((current.walls! + 30 * -0.5) / 31, 4);
    expect(sub(r, 'orderbook', 'depthImbalance').reason).toMatch(/30 one-second samples of the last 60 s/);
  });

  test('when bookSmoothingMs is 0, then the history is ignored; a window longer than the kept samples is refused', () => {
    const history = Array.from({ length: 30 }, (_, i) => sample(30_000 - i * 1_000, -0.5));
    const r = createEngine({ bookSmoothingMs: 0 }).score(withHistory(base, history), NOW);
    expect(sub(r, 'orderbook', 'topImbalance').raw).toBeCloseTo(current.touch!, 6);
    expect(() => createEngine({ bookSmoothingMs: 120_000 })).toThrow(/bookSmoothingMs: must be between 0 and 60000, got 120000/);
  });

  test('when the market is mirrored, history included, then the smoothed signals mirror around 50', () => {
    const s = withHistory(base, [sample(4_000, 0.2), sample(3_000, 0.4), sample(2_000, -0.1), sample(1_000, 0.3)]);
    for (const name of ['depthImbalance', 'topImbalance', 'depthBand10bps', 'walls']) {
      const a = sub(createEngine().score(s, NOW), 'orderbook', name).score!;
      const b = sub(createEngine().score(mirrorSnapshot(s), NOW), 'orderbook', name).score!;
      expect(a + b).toBeCloseTo(100, 0);
    }
  });

  test('when samples miss some measures, sit outside the window or in the future, then each mean is the per-measure mean of the current book and the valid samples in the window', () => {
    // The reference: one pass per measure, the current reading first, then the history newest first.
    const reference = (key: 'depth' | 'touch' | 'band10' | 'deep' | 'walls', cur: number, history: readonly BookFeatures[]) => {
      let sum = cur;
      let n = 0;
      for (let i = history.length - 1; i >= 0; i--) {
        const h = history[i];
        if (h.ts < NOW - BOOK_SMOOTHING_MS) break;
        if (h.ts > NOW) continue;
        const v = h[key];
        if (v !== undefined && Number.isFinite(v)) {
          sum += v;
          n++;
        }
      }
      return sum / (n + 1);
    };
    let seed = 7;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const maybe = () => (rnd() < 0.2 ? undefined : rnd() < 0.05 ? Number.NaN : rnd() * 2 - 1);
    for (let run = 0; run < 20; run++) {
      const history: BookFeatures[] = Array.from({ length: 70 }, (_, i) => ({
        ts: NOW - (69 - i) * 1_000 + (i === 69 && run % 3 === 0 ? 5_000 : 0),
        depth: maybe(),
        touch: maybe(),
        band10: maybe(),
        deep: maybe(),
        walls: maybe(),
      }));
      const r = createEngine().score(withHistory(base, history), NOW);
      const pairs = [
        ['depthImbalance', 'depth'],
        ['topImbalance', 'touch'],
        ['depthBand10bps', 'band10'],
        ['walls', 'walls'],
      ] as const;
      // Reported raws carry about six significant digits (roundRaw).
      for (const [name, key] of pairs) expect([name, sub(r, 'orderbook', name).raw]).toEqual([name, roundRaw(reference(key, current[key]!, history))]);
    }
  });
});
