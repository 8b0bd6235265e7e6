import fc from 'fast-check';
import { TIMEFRAMES, type Direction, type Timeframe } from '@confluence/contracts';
import { createEngine, type Candle, type MarketSnapshot } from '@confluence/confluence';
import { snapshotArb } from './helpers/arbitrary';
import { NOW } from './helpers/market';

/** One second of a market: the same snapshot again, its forming candles moved, its book moved, or another market. */
type Step =
  | { kind: 'same' }
  | { kind: 'forming'; ticks: number; volume: number }
  | { kind: 'book'; factor: number }
  | { kind: 'other'; snapshot: MarketSnapshot };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 3, arbitrary: fc.constant<Step>({ kind: 'same' }) },
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constant('forming' as const), ticks: fc.integer({ min: -6, max: 6 }), volume: fc.integer({ min: 0, max: 500 }) }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('book' as const), factor: fc.constantFrom(0.5, 0.9, 1.1, 2) }) },
  { weight: 1, arbitrary: snapshotArb.map((snapshot): Step => ({ kind: 'other', snapshot })) },
);

function moveForming(candles: readonly Candle[], ticks: number, volume: number): Candle[] {
  const n = candles.length;
  if (n === 0 || candles[n - 1].confirmed) return [...candles];
  const f = candles[n - 1];
  const close = f.close + ticks / 8;
  return [...candles.slice(0, n - 1), { ...f, close, high: Math.max(f.high, close), low: Math.min(f.low, close), volume: f.volume + volume }];
}

function apply(s: MarketSnapshot, step: Step): MarketSnapshot {
  switch (step.kind) {
    case 'same':
      return s;
    case 'other':
      return step.snapshot;
    case 'forming': {
      const candles = {} as Record<Timeframe, Candle[]>;
      for (const tf of TIMEFRAMES) candles[tf] = moveForming(s.candles[tf] ?? [], step.ticks, step.volume);
      return { ...s, candles };
    }
    case 'book':
      return s.book ? { ...s, book: { ...s.book, bids: s.book.bids.map(([p, q]) => [p, q * step.factor] as [number, number]) } } : s;
  }
}

describe('incremental engine (warm caches and reused output objects)', () => {
  it('when a market evolves second by second in random ways, then a warm engine returns byte for byte what a fresh engine computes from scratch, and never alters a result it returned before', () => {
    let reused = 0;
    fc.assert(
      fc.property(snapshotArb, fc.array(stepArb, { minLength: 2, maxLength: 8 }), (first, steps) => {
        const warm = createEngine();
        let snap = first;
        let label: Direction | null = null;
        let previous: { json: string; result: ReturnType<typeof warm.score> } | null = null;
        for (let i = 0; i <= steps.length; i++) {
          if (i > 0) snap = apply(snap, steps[i - 1]);
          const now = NOW + i * 1000;
          const a = warm.score(snap, now);
          // From scratch: a new engine, told only the label the warm one held (the one state allowed to carry over).
          const b = createEngine().score(snap, now, label);
          expect(JSON.stringify(a)).toBe(JSON.stringify(b));
          if (previous !== null) {
            expect(JSON.stringify(previous.result)).toBe(previous.json);
            if (
              a.components.some(
                (c, k) => c === previous!.result.components[k] || c.subSignals.some((x, j) => x === previous!.result.components[k].subSignals[j]),
              )
            )
              reused++;
          }
          previous = { json: JSON.stringify(a), result: a };
          label = a.direction;
        }
      }),
      { numRuns: 60, seed: 16 },
    );
    // The reuse is real: unchanged parts of a result are handed out again, not rebuilt.
    expect(reused).toBeGreaterThan(0);
  });

  it('when nothing about a symbol changes between two seconds but the clock, then the unchanged component details are the same objects', () => {
    fc.assert(
      fc.property(snapshotArb, (s) => {
        const e = createEngine();
        const a = e.score(s, NOW);
        const b = e.score(s, NOW);
        expect(b).toEqual(a);
        // Same snapshot, same time: every component detail is reused as it stands.
        b.components.forEach((c, k) => {
          expect(c).toBe(a.components[k]);
        });
      }),
      { numRuns: 40, seed: 17 },
    );
  });
});
