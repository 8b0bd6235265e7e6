import type { SymbolScore } from '@confluence/confluence';
import { COMPONENT_NAMES, type ComponentDetail, type ComponentName, type Timeframe, moveSchema } from '@confluence/contracts';
import { MIN_MOVE_POINTS, MoveTracker, diffScores } from '../../src/signals/moves';

type Sub = [name: string, timeframe: Timeframe | null, score: number | null, weight: number];
interface Comp {
  contribution: number | null;
  subs?: Sub[];
  reason?: string;
}

/** A hand-made engine result: each component given by its contribution (score = contribution / effective weight). */
function scoreOf(total: number | null, comps: Partial<Record<ComponentName, Comp>>): SymbolScore {
  const components: ComponentDetail[] = COMPONENT_NAMES.map((name) => {
    const c = comps[name] ?? { contribution: 50 / 6 };
    const score = c.contribution === null ? null : Math.min(100, c.contribution * 6);
    return {
      name,
      score,
      weight: 1 / 6,
      effectiveWeight: 1 / 6,
      contribution: c.contribution,
      reason: c.reason ?? null,
      subSignals: (c.subs ?? []).map(([n, timeframe, s, weight]) => ({
        name: n,
        timeframe,
        raw: null,
        score: s,
        weight,
        contribution: s === null ? null : s * weight,
        reason: null,
      })),
    };
  });
  const direction = total === null ? null : total >= 60 ? 'Bullish' : total <= 40 ? 'Bearish' : 'Neutral';
  return {
    symbol: 'BTCUSDT',
    score: total,
    direction,
    strength: null,
    confidence: { value: 0.7, agreement: 0.7, completeness: 1, freshness: 1 },
    rationale: 'test',
    components,
    topContributors: [],
  };
}

const BASE = 50 / 6;

describe('diffScores', () => {
  const before = scoreOf(58, {
    orderflow: {
      contribution: 9,
      subs: [
        ['cvd', '5m', 40, 0.5],
        ['aggressor_imbalance', '1m', 50, 0.3],
      ],
    },
    technical: {
      contribution: 10,
      subs: [
        ['rsi', '1m', 50, 0.4],
        ['macd', '5m', 55, 0.2],
      ],
    },
    sentiment: { contribution: 8, subs: [['funding_rate', null, 60, 0.6]] },
    volume: { contribution: 8 },
  });
  const after = scoreOf(71, {
    orderflow: {
      contribution: 16,
      subs: [
        ['cvd', '5m', 80, 0.5],
        ['aggressor_imbalance', '1m', 55, 0.3],
      ],
    },
    technical: {
      contribution: 14,
      subs: [
        ['rsi', '1m', 62, 0.4],
        ['macd', '5m', 57, 0.2],
      ],
    },
    sentiment: { contribution: 6, subs: [['funding_rate', null, 45, 0.6]] },
    volume: { contribution: 8.04 },
  });

  it('when components move, then the summary names the largest three by size with their driving sub-signal', () => {
    const move = diffScores(before, after, 1234)!;
    expect(move.summary).toBe('58 → 71: order flow +7 (cvd 5m up), technical +4 (RSI 1m up), sentiment −2 (funding rate down)');
    expect(move).toMatchObject({ from: 58, to: 71, delta: 13, at: 1234 });
    // A change that rounds to 0.0 is left out.
    expect(move.parts.map((p) => [p.component, p.delta])).toEqual([
      ['orderflow', 7],
      ['technical', 4],
      ['sentiment', -2],
    ]);
    expect(moveSchema.safeParse(move).success).toBe(true);
  });

  it('when a sub-signal is in the catalogue, then the cause is in its words; a label sent with it wins; an unknown identifier is split into words', () => {
    const a = scoreOf(50, {
      orderflow: { contribution: 8, subs: [['cvdPrice', '5m', 40, 1]] },
      orderbook: { contribution: 8, subs: [['topImbalance', null, 50, 1]] },
    });
    const b = scoreOf(58, {
      orderflow: { contribution: 13, subs: [['cvdPrice', '5m', 70, 1]] },
      orderbook: { contribution: 11, subs: [['topImbalance', null, 65, 1]] },
    });
    // An older producer sent labels with its details; the one sent is what it meant.
    for (const c of b.components) for (const sub of c.subSignals) if (sub.name === 'cvdPrice') sub.label = 'CVD against price';
    expect(diffScores(a, b, 0)!.summary).toBe('50 → 58: order flow +5 (CVD against price 5m up), order book +3 (touch imbalance up)');
  });

  it('when a negative change is the largest, then it comes first and uses a minus sign', () => {
    const a = scoreOf(70, { structure: { contribution: 15, subs: [['ema_position', '4h', 90, 1]] }, orderbook: { contribution: 10 } });
    const b = scoreOf(59.96, { structure: { contribution: 9.06, subs: [['ema_position', '4h', 40, 1]] }, orderbook: { contribution: 11.04 } });
    const move = diffScores(a, b, 0)!;
    expect(move.summary).toBe('70 → 60: structure −5.9 (ema position 4h down), order book +1 (inputs shifted)');
    expect(move.delta).toBe(-10);
  });

  it('when more than three components move, then the summary has three and the parts keep up to six', () => {
    const a = scoreOf(50, {});
    const b = scoreOf(62, {
      technical: { contribution: BASE + 1 },
      volume: { contribution: BASE + 2 },
      orderflow: { contribution: BASE + 3 },
      orderbook: { contribution: BASE + 4 },
      structure: { contribution: BASE + 0.5 },
      sentiment: { contribution: BASE + 1.5 },
    });
    const move = diffScores(a, b, 0)!;
    expect(move.summary).toBe('50 → 62: order book +4 (inputs shifted), order flow +3 (inputs shifted), volume +2 (inputs shifted)');
    expect(move.parts.map((p) => p.component)).toEqual(['orderbook', 'orderflow', 'volume', 'sentiment', 'technical', 'structure']);
  });

  it('when scores have decimals, then the head and deltas are rounded to one decimal', () => {
    const a = scoreOf(58.04, { orderflow: { contribution: 3.04 } });
    const b = scoreOf(70.96, { orderflow: { contribution: 15.96 } });
    const move = diffScores(a, b, 0)!;
    expect(move.summary).toBe('58 → 71: order flow +12.9 (inputs shifted)');
    expect(move.delta).toBe(12.9);
  });

  it('when a component becomes unavailable or comes back, then the cause says so, with its push relative to neutral', () => {
    // score 72 at effective weight 1/6 pushed (72 − 50)/6 = 3.7 points above neutral
    const a = scoreOf(60, { orderbook: { contribution: 12 } });
    const b = scoreOf(55, { orderbook: { contribution: null, reason: 'book resyncing' } });
    expect(diffScores(a, b, 0)!.summary).toBe('60 → 55: order book −3.7 (unavailable: book resyncing)');
    expect(diffScores(b, a, 0)!.summary).toBe('55 → 60: order book +3.7 (available again)');
  });

  it('when the book drops out and nothing else changes, then the whole move is the book: no phantom moves of the others', () => {
    // Default weights; every component a little bullish; the book at 51 goes away (resync).
    const weights: Record<ComponentName, number> = { orderflow: 0.3, orderbook: 0.2, volume: 0.18, structure: 0.15, technical: 0.1, sentiment: 0.07 };
    const scores: Record<ComponentName, number> = { orderflow: 55, orderbook: 51, volume: 54, structure: 56, technical: 53, sentiment: 50 };
    const result = (drop: ComponentName | null): SymbolScore => {
      const avail = COMPONENT_NAMES.filter((n) => n !== drop);
      const wsum = avail.reduce((a, n) => a + weights[n], 0);
      const components: ComponentDetail[] = COMPONENT_NAMES.map((name) => {
        const on = name !== drop;
        const eff = on ? weights[name] / wsum : 0;
        return {
          name,
          score: on ? scores[name] : null,
          weight: weights[name],
          effectiveWeight: eff,
          contribution: on ? eff * scores[name] : null,
          reason: on ? null : 'order book resyncing',
          subSignals: [],
        };
      });
      const total = avail.reduce((a, n) => a + (weights[n] / wsum) * scores[n], 0);
      return { ...scoreOf(total, {}), score: total, components };
    };
    const before = result(null);
    const after = result('orderbook');
    const move = diffScores(before, after, 0)!;
    // 53.62 → 54.28: the book at 51 was diluting the others; all of the +0.7 is credited to the book leaving.
    expect(move.delta).toBe(0.7);
    expect(move.parts).toEqual([{ component: 'orderbook', delta: 0.7, cause: 'unavailable: order book resyncing' }]);
    expect(move.summary).toBe('53.6 → 54.3: order book +0.7 (unavailable: order book resyncing)');
    // Diffing effective weight × score instead would have shown order book −10.2 and order flow +2.1, volume +1.2 …
    const naive = COMPONENT_NAMES.map(
      (n) => (after.components.find((c) => c.name === n)!.contribution ?? 0) - (before.components.find((c) => c.name === n)!.contribution ?? 0),
    );
    expect(Math.max(...naive.map(Math.abs))).toBeGreaterThan(5);
  });

  it('when the score appears or disappears, then the missing side shows a dash; both missing is no move', () => {
    expect(diffScores(scoreOf(null, {}), scoreOf(64, {}), 0)!.summary).toBe('— → 64');
    expect(diffScores(scoreOf(64, {}), scoreOf(null, {}), 0)!.summary).toBe('64 → —');
    expect(diffScores(scoreOf(null, {}), scoreOf(null, {}), 0)).toBeNull();
  });
});

describe('MoveTracker', () => {
  it('when changes are below the move threshold, then no move replaces the last one until they add up', () => {
    const t = new MoveTracker();
    expect(t.update('BTCUSDT', scoreOf(50, {}), 0)).toBeNull();
    expect(t.update('BTCUSDT', scoreOf(50 + MIN_MOVE_POINTS / 2, { volume: { contribution: BASE + 0.25 } }), 1)).toBeNull();
    const drift = t.update('BTCUSDT', scoreOf(51, { volume: { contribution: BASE + 1 } }), 2)!;
    expect(drift.summary).toBe('50 → 51: volume +1 (inputs shifted)');
    // A warming-up generation (no result) keeps showing the last move.
    expect(t.update('BTCUSDT', null, 3)).toBe(drift);
    t.drop('BTCUSDT');
    expect(t.update('BTCUSDT', null, 4)).toBeNull();
  });
});
