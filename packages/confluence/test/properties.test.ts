import fc from 'fast-check';
import { createEngine, type SymbolScore } from '@confluence/confluence';
import { snapshotArb } from './helpers/arbitrary';
import { mirrorSnapshot, NOW, P0 } from './helpers/market';

const RUNS = 150;

function allScores(r: SymbolScore): (number | null)[] {
  return [r.score, ...r.components.flatMap((c) => [c.score, ...c.subSignals.map((s) => s.score)])];
}

describe('engine properties (fast-check)', () => {
  it('when given any snapshot, then every score is null or within [0, 100] and every number is finite', () => {
    fc.assert(
      fc.property(snapshotArb, (s) => {
        const r = createEngine().score(s, NOW);
        for (const x of allScores(r)) expect(x === null || (x >= 0 && x <= 100)).toBe(true);
        for (const v of Object.values(r.confidence)) expect(v >= 0 && v <= 1).toBe(true);
        for (const c of r.components) {
          expect(c.reason === null || c.reason.length <= 300).toBe(true);
          for (const sub of c.subSignals) {
            if (sub.raw !== null) expect(Number.isFinite(sub.raw)).toBe(true);
            if (sub.contribution !== null) expect(Number.isFinite(sub.contribution)).toBe(true);
            if (sub.score === null) expect(sub.reason).not.toBeNull();
          }
          if (c.score === null) expect(c.reason).not.toBeNull();
        }
        expect(r.score === null).toBe(r.direction === null);
        expect(r.rationale.length).toBeLessThanOrEqual(600);
      }),
      { numRuns: RUNS },
    );
  });

  it('when the same snapshot is scored twice, by a fresh or a warmed engine, then the outputs are identical', () => {
    const shared = createEngine();
    fc.assert(
      fc.property(snapshotArb, snapshotArb, (warmup, s) => {
        const fresh = createEngine().score(s, NOW);
        const again = createEngine().score(s, NOW);
        expect(again).toEqual(fresh);
        // A warmed engine has seen other data for the same symbol, and this one before.
        // Hysteresis: the label depends on the label before, so the fresh engine is told the one the warm engine held.
        shared.score(warmup, NOW - 1000);
        const held = shared.score(s, NOW).direction;
        expect(shared.score(s, NOW)).toEqual(createEngine().score(s, NOW, held));
        expect(shared.score(s, NOW, null)).toEqual(fresh);
      }),
      { numRuns: RUNS },
    );
  });

  it('when components are available, then their effective weights sum to 1 and the score is their weighted mean', () => {
    fc.assert(
      fc.property(snapshotArb, (s) => {
        const r = createEngine().score(s, NOW);
        const avail = r.components.filter((c) => c.score !== null);
        if (avail.length === 0) {
          expect(r.score).toBeNull();
          expect(r.confidence.value).toBe(0);
          return;
        }
        const sum = avail.reduce((a, c) => a + c.effectiveWeight, 0);
        expect(sum).toBeCloseTo(1, 5);
        for (const c of r.components.filter((x) => x.score === null)) expect(c.effectiveWeight).toBe(0);
        const mean = avail.reduce((a, c) => a + c.effectiveWeight * (c.score as number), 0);
        expect(Math.abs((r.score as number) - mean)).toBeLessThan(0.1);
        // Contributions of the sub-signals add up to their component's score.
        for (const c of avail) {
          const sub = c.subSignals.reduce((a, x) => a + (x.contribution ?? 0), 0);
          expect(Math.abs(sub - (c.score as number))).toBeLessThan(0.1);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('when the market is mirrored (prices reflected, sides swapped, funding negated), then every score mirrors around 50', () => {
    fc.assert(
      fc.property(snapshotArb, (s) => {
        const a = createEngine().score(s, NOW);
        const b = createEngine().score(mirrorSnapshot(s, P0), NOW);
        const tol = 0.11;
        if (a.score === null) expect(b.score).toBeNull();
        else expect(Math.abs((b.score as number) - (100 - a.score))).toBeLessThanOrEqual(tol);
        a.components.forEach((c, i) => {
          const m = b.components[i];
          if (c.score === null) expect(m.score).toBeNull();
          else expect(Math.abs((m.score as number) - (100 - c.score))).toBeLessThanOrEqual(tol);
          c.subSignals.forEach((sub, j) => {
            const ms = m.subSignals[j];
            expect(ms.name).toBe(sub.name);
            if (sub.score === null) expect(ms.score).toBeNull();
            else expect(Math.abs((ms.score as number) - (100 - sub.score))).toBeLessThanOrEqual(tol);
          });
        });
        expect(Math.abs(b.confidence.agreement - a.confidence.agreement)).toBeLessThanOrEqual(0.002);
        expect(b.confidence.completeness).toBe(a.confidence.completeness);
      }),
      { numRuns: RUNS * 2 },
    );
  });
});
