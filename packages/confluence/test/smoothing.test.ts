import { createEngine } from '@confluence/confluence';
import type { MarketSnapshot } from '@confluence/confluence';
import { mirrorSnapshot, syntheticMarket } from './helpers/market';
import { sub } from './helpers/result';

/** Depth imbalance is averaged over the recent one-second samples and the current book. */
describe('order-book depth smoothing', () => {
  const NOW = 1_764_080_000_000;
  const base = syntheticMarket('range', { now: NOW });

  function withHistory(s: MarketSnapshot, history: number[] | undefined): MarketSnapshot {
    return { ...s, depthImbalanceHistory: history };
  }

  test('when there is no history, then the raw value is the current book alone', () => {
    const r = createEngine().score(withHistory(base, undefined), NOW);
    const current = sub(r, 'orderbook', 'depthImbalance').raw!;
    const again = createEngine().score(withHistory(base, []), NOW);
    expect(sub(again, 'orderbook', 'depthImbalance').raw).toBe(current);
  });

  test('when the recent samples lean the other way, then the raw value is their mean with the current book (hand-computed)', () => {
    const current = sub(createEngine().score(base, NOW), 'orderbook', 'depthImbalance').raw!;
    // 30 samples of −0.5 plus the current value c: raw = (c + 30·(−0.5)) / 31.
    const history = [0.9, 0.9, ...Array.from({ length: 30 }, () => -0.5)]; // only the last 30 count
    const r = createEngine().score(withHistory(base, history), NOW);
    const raw = sub(r, 'orderbook', 'depthImbalance').raw!;
    expect(raw).toBeCloseTo((current + 30 * -0.5) / 31, 4);
    expect(sub(r, 'orderbook', 'depthImbalance').score).toBeCloseTo(50 + 50 * raw, 0);
  });

  test('when the market is mirrored, history included, then the smoothed signal mirrors around 50', () => {
    const s = withHistory(base, [0.2, 0.4, -0.1, 0.3]);
    const a = sub(createEngine().score(s, NOW), 'orderbook', 'depthImbalance').score!;
    const b = sub(createEngine().score(mirrorSnapshot(s), NOW), 'orderbook', 'depthImbalance').score!;
    expect(a + b).toBeCloseTo(100, 0);
  });
});
