import fc from 'fast-check';
import { HistoryStore } from '../../src/history';

describe('HistoryStore.scoreAt', () => {
  test('when asked for a time, then it answers the score of the last point at or before it, null before the first', () => {
    const h = new HistoryStore();
    for (const [t, s] of [
      [60_000, 40],
      [120_000, 45],
      [180_000, null],
      [240_000, 55],
    ] as const)
      h.add('BTCUSDT', [t, s, 1]);
    expect(h.scoreAt('BTCUSDT', 59_999)).toBeNull();
    expect(h.scoreAt('BTCUSDT', 60_000)).toBe(40);
    expect(h.scoreAt('BTCUSDT', 150_000)).toBe(45);
    expect(h.scoreAt('BTCUSDT', 200_000)).toBeNull();
    expect(h.scoreAt('BTCUSDT', 1e12)).toBe(55);
    expect(h.scoreAt('ETHUSDT', 1e12)).toBeNull();
  });

  test('property: the binary search agrees with a linear scan', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 0, max: 10_000 }), { maxLength: 60 }), fc.integer({ min: -10, max: 10_010 }), (times, at) => {
        const h = new HistoryStore();
        const sorted = [...times].sort((a, b) => a - b);
        sorted.forEach((t, i) => {
          h.add('S', [t, i, null]);
        });
        let expected: number | null = null;
        sorted.forEach((t, i) => {
          if (t <= at) expected = i;
        });
        return h.scoreAt('S', at) === expected;
      }),
    );
  });
});
