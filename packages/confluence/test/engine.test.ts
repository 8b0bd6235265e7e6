import { componentScoresSchema, SUB_SIGNAL_FORMULAS, subSignalLabel, subSignalNote, symbolDetailSchema, type SymbolDetail } from '@confluence/contracts';
import {
  computeConfidence,
  computeFreshness,
  createEngine,
  DEFAULT_ENGINE_CONFIG,
  SUB_SIGNAL_LABELS,
  toComponentScores,
  tradeColumns,
  validateEngineConfig,
  type EngineConfigInput,
  type MarketSnapshot,
} from '@confluence/confluence';
import { emptySnapshot, NOW, P0, syntheticMarket } from './helpers/market';
import { component } from './helpers/result';

const onlyBookAndFunding: MarketSnapshot = {
  ...emptySnapshot(),
  book: { bids: [[99.95, 3]], asks: [[100.05, 1]], ts: NOW, synced: true },
  funding: [{ ts: NOW - 3_600_000, rate: -0.0011 }],
};

describe('overall score', () => {
  it('when only some components have data, then the score renormalises over them and the rest report why they are missing', () => {
    const r = createEngine().score(onlyBookAndFunding, NOW);
    const book = component(r, 'orderbook');
    const sent = component(r, 'sentiment');
    // effective weights: .2/.27 and .07/.27
    expect(book.effectiveWeight).toBeCloseTo(0.2 / 0.27, 6);
    expect(sent.effectiveWeight).toBeCloseTo(0.07 / 0.27, 6);
    expect(r.score).toBeCloseTo((0.2 * (book.score as number) + 0.07 * (sent.score as number)) / 0.27, 0);
    expect(component(r, 'technical').score).toBeNull();
    expect(component(r, 'technical').effectiveWeight).toBe(0);
    expect(component(r, 'technical').contribution).toBeNull();
    expect(component(r, 'orderflow').reason).toMatch(/^no order-flow signal available: no trades/);
    expect(r.confidence.completeness).toBeLessThan(0.3);
  });

  it('when no component has data, then score, direction and strength are null, confidence 0, and the rationale says why', () => {
    const r = createEngine().score(emptySnapshot(), NOW);
    expect(r.score).toBeNull();
    expect(r.direction).toBeNull();
    expect(r.strength).toBeNull();
    expect(r.confidence).toEqual({ value: 0, agreement: 0, completeness: 0, freshness: 0 });
    expect(r.topContributors).toEqual([]);
    expect(r.rationale).toMatch(/^No score: no component available — momentum \(no technical indicator available/);
  });

  it('when one component throws, then it alone is null with an "error: …" reason', () => {
    const s = syntheticMarket('up');
    const broken = Object.defineProperty({ ...s }, 'liquidations', {
      get() {
        throw new Error('feed exploded');
      },
    }) as MarketSnapshot;
    const r = createEngine().score(broken, NOW);
    expect(component(r, 'sentiment').score).toBeNull();
    expect(component(r, 'sentiment').reason).toBe('error: feed exploded');
    const ok = createEngine().score(s, NOW);
    for (const n of ['technical', 'volume', 'orderflow', 'orderbook', 'structure'] as const) expect(component(r, n).score).toBe(component(ok, n).score);
  });

  it('when thresholds are configured, then direction and strength follow them; strength is null when neutral', () => {
    const sentimentOnly = {
      componentWeights: { technical: 0, volume: 0, orderflow: 0, orderbook: 0, structure: 0, sentiment: 1 },
      subWeights: { sentiment: { funding: 1, longShort: 0, liquidations: 0, oiActivity: 0 } },
    };
    const at = (rate: number, thresholds: EngineConfigInput['thresholds'] = DEFAULT_ENGINE_CONFIG.thresholds) =>
      createEngine({ ...sentimentOnly, thresholds }).score({ ...emptySnapshot(), funding: [{ ts: NOW - 3_600_000, rate }] }, NOW);
    // funding −0.0011 → 50 + 40·tanh(1) = 80.46: Bullish, strong
    expect([at(-0.0011).score, at(-0.0011).direction, at(-0.0011).strength]).toEqual([80.5, 'Bullish', 'strong']);
    // funding −0.0004 → 50 + 40·tanh(0.3) = 61.65: Bullish, moderate
    expect([at(-0.0004).direction, at(-0.0004).strength]).toEqual(['Bullish', 'moderate']);
    expect([at(0).direction, at(0).strength]).toEqual(['Neutral', null]);
    expect([at(0.0011).direction, at(0.0011).strength]).toEqual(['Bearish', 'strong']);
    // with bullish at 85 the same 80.5 is Neutral
    expect(at(-0.0011, { bullish: 85, bearish: 15, strongBullish: 90, strongBearish: 10 }).direction).toBe('Neutral');
  });

  it('when components push different ways, then topContributors are sorted by |effectiveWeight·(score − 50)| with signs', () => {
    const r = createEngine().score(syntheticMarket('up'), NOW);
    const pushes = r.topContributors.map((c) => Math.abs(c.contribution));
    expect([...pushes].sort((a, b) => b - a)).toEqual(pushes);
    for (const tc of r.topContributors) {
      const c = component(r, tc.component);
      expect(tc.contribution).toBeCloseTo(c.effectiveWeight * ((c.score as number) - 50), 0);
    }
    expect(r.topContributors[0].contribution).toBeGreaterThan(0);
  });

  it('when a market is scored, then the rationale names direction, score and the strongest drivers in one line', () => {
    const r = createEngine().score(syntheticMarket('up'), NOW);
    expect(r.rationale).toMatch(/^Bullish \d+\.\d: [a-z ]+ (strongly )?positive \(/);
    expect(r.rationale).not.toContain('\n');
    const d = createEngine().score(syntheticMarket('down'), NOW);
    expect(d.rationale).toMatch(/^Bearish \d+\.\d: .*negative/);
  });

  it('when the result is merged with the fields the analyzer fills, then it is a valid contracts SymbolDetail and ComponentScores', () => {
    for (const s of [syntheticMarket('up'), syntheticMarket('range'), onlyBookAndFunding, emptySnapshot()]) {
      const r = createEngine().score(s, NOW);
      const detail: SymbolDetail = {
        ...r,
        price: P0,
        change24h: 0.01,
        fundingRate: 0.0001,
        openInterest: 1,
        orderbook: { bestBid: null, bestAsk: null, mid: null, spreadBps: null, bidDepth: null, askDepth: null, levels: 0, synced: true },
        updatedAt: NOW,
        dataOk: true,
        lastMove: null,
        bandRecord: null,
      };
      expect(() => symbolDetailSchema.parse(detail)).not.toThrow();
      const cs = toComponentScores(r);
      expect(componentScoresSchema.parse(cs)).toEqual(cs);
      expect(cs.orderbook).toBe(component(r, 'orderbook').score);
    }
  });
});

describe('sub-signal labels and formulas', () => {
  it('when a market is scored, then no sub-signal carries the texts of the catalogue, and the catalogue gives each one words and its formula', () => {
    const r = createEngine().score(syntheticMarket('up'), NOW);
    const subs = r.components.flatMap((c) => c.subSignals);
    expect(subs.length).toBeGreaterThan(30);
    const formulas: Readonly<Record<string, string>> = SUB_SIGNAL_FORMULAS;
    let byFormula = 0;
    for (const s of subs) {
      expect(s.label).toBeUndefined();
      expect(subSignalLabel(s)).toBe(SUB_SIGNAL_LABELS[s.name as keyof typeof SUB_SIGNAL_LABELS]);
      if (/[a-z][A-Z]/.test(s.name)) expect(subSignalLabel(s)).not.toBe(s.name);
      // A standard formula is never sent: the reader shows it from the catalogue.
      expect(s.reason === null || s.reason !== formulas[s.name]).toBe(true);
      if (s.score !== null && s.reason === null && formulas[s.name] !== undefined) {
        byFormula++;
        expect(subSignalNote(s)).toBe(formulas[s.name]);
      }
    }
    expect(byFormula).toBeGreaterThan(30);
    expect(subSignalLabel(subs.find((s) => s.name === 'topImbalance')!)).toBe('touch imbalance');
    expect(subSignalNote(subs.find((s) => s.name === 'rsi')!)).toBe('score = RSI on 20..80, turning back at half slope beyond');
  });

  it('when a sub-signal has a note of its own, then the detail carries it and readers show it', () => {
    // Without long/short history and open interest those inputs are unavailable, each saying why, beside the rest.
    const r = createEngine().score({ ...syntheticMarket('up'), longShort: [], openInterest: [] }, NOW);
    const missing = r.components.flatMap((c) => c.subSignals).filter((s) => s.score === null && s.weight > 0);
    expect(missing.map((s) => s.name)).toEqual(expect.arrayContaining(['longShort', 'oiActivity']));
    for (const s of missing) {
      expect(s.score).toBeNull();
      expect(s.reason).toMatch(/\w/);
      expect(subSignalNote(s)).toBe(s.reason);
    }
  });
});

describe('confidence', () => {
  const cfg = validateEngineConfig({ componentWeights: { technical: 0.5, volume: 0.5, orderflow: 0, orderbook: 0, structure: 0, sentiment: 0 } });
  const fresh: MarketSnapshot = { ...emptySnapshot(), ticker: { ...syntheticMarket('up').ticker!, ts: NOW } };

  const agreementOf = (scores: readonly (number | null)[], weights = [1 / 6, 1 / 6, 1 / 6, 1 / 6, 1 / 6, 1 / 6]) => {
    const names = ['technical', 'volume', 'orderflow', 'orderbook', 'structure', 'sentiment'] as const;
    const c6 = validateEngineConfig({ componentWeights: Object.fromEntries(names.map((n, i) => [n, weights[i]])) as Record<(typeof names)[number], number> });
    let acc = 0;
    let w = 0;
    scores.forEach((x, i) => {
      if (x !== null) {
        acc += weights[i] * x;
        w += weights[i];
      }
    });
    return computeConfidence(
      names.map((name, i) => ({ name, score: scores[i], completeness: scores[i] === null ? 0 : 1 })),
      acc / w,
      fresh,
      NOW,
      c6,
    ).agreement;
  };

  it('when two equally weighted components say 80 and 40, then they cancel: agreement = .5·1 − .5·1 = 0', () => {
    // overall 60 (bullish side); 80 is 30 points on its side (counts fully), 40 is 10 points against (takes its weight away)
    const c = computeConfidence(
      [
        { name: 'technical', score: 80, completeness: 1 },
        { name: 'volume', score: 40, completeness: 1 },
      ],
      60,
      fresh,
      NOW,
      cfg,
    );
    expect(c.agreement).toBe(0);
    expect(c.completeness).toBeCloseTo(1, 12);
    expect(c.freshness).toBe(1);
    expect(c.value).toBe(0);
    // 80 and 55: 55 is 5 points on the same side, half of the 10 that count fully: .5·1 + .5·0.5 = 0.75
    expect(
      computeConfidence(
        [
          { name: 'technical', score: 80, completeness: 1 },
          { name: 'volume', score: 55, completeness: 1 },
        ],
        67.5,
        fresh,
        NOW,
        cfg,
      ).agreement,
    ).toBeCloseTo(0.75, 12);
  });

  it('when all six components are bullish, agreement is 1; a flat range and all-at-50 are near 0; a clean trend beats a range', () => {
    expect(agreementOf([95, 90, 70, 60, 95, 60])).toBe(1);
    expect(agreementOf([50, 50, 50, 50, 50, 50])).toBe(0);
    const range = agreementOf([52, 48, 51, 49, 53, 50]);
    expect(range).toBeLessThan(0.2);
    const trend = agreementOf([68, 64, 58, 55, 70, 47]);
    expect(trend).toBeGreaterThan(0.6);
    expect(trend).toBeGreaterThan(range);
    // mirrored: the same for the bearish side
    expect(agreementOf([5, 10, 30, 40, 5, 40])).toBe(1);
  });

  it('when a component is missing or half its sub-weight is, then completeness counts only the computed weight', () => {
    const c = computeConfidence(
      [
        { name: 'technical', score: 70, completeness: 0.5 },
        { name: 'volume', score: null, completeness: 0 },
      ],
      70,
      fresh,
      NOW,
      cfg,
    );
    expect(c.completeness).toBeCloseTo(0.25, 12); // .5·.5 + .5·0
    expect(c.agreement).toBe(1);
    expect(c.value).toBeCloseTo(0.25, 12);
  });

  it('when inputs age, then freshness ramps from 1 (fresh) to 0 (stale) per input and averages the inputs present', () => {
    const book = { bids: [[99, 1]] as [number, number][], asks: [[101, 1]] as [number, number][], ts: NOW - 16_000, synced: true };
    // book 16 s old: 1 − (16 − 2)/(30 − 2) = 0.5
    expect(computeFreshness({ ...emptySnapshot(), book }, NOW, DEFAULT_ENGINE_CONFIG)).toBeCloseTo(0.5, 12);
    // plus a trade 1 s old (1.0) → mean 0.75
    const trades = [{ ts: NOW - 1000, price: 100, size: 1, side: 'Buy' as const }];
    expect(computeFreshness({ ...emptySnapshot(), book, trades: tradeColumns(trades) }, NOW, DEFAULT_ENGINE_CONFIG)).toBeCloseTo(0.75, 12);
    expect(computeFreshness(emptySnapshot(), NOW, DEFAULT_ENGINE_CONFIG)).toBe(0);
  });

  it('when a REST-polled input is old, then freshness counts it by its own age (long/short, open interest, funding by its interval)', () => {
    // long/short 15 min fresh → 2 h stale: 67.5 min old → 1 − 52.5/105 = 0.5
    expect(
      computeFreshness({ ...emptySnapshot(), longShort: [{ ts: NOW - 67.5 * 60_000, buyRatio: 0.5, sellRatio: 0.5 }] }, NOW, DEFAULT_ENGINE_CONFIG),
    ).toBeCloseTo(0.5, 12);
    expect(computeFreshness({ ...emptySnapshot(), longShort: [{ ts: NOW - 48 * 3_600_000, buyRatio: 0.5, sellRatio: 0.5 }] }, NOW, DEFAULT_ENGINE_CONFIG)).toBe(
      0,
    );
    // open interest 10 min fresh → 60 min stale: 35 min old → 0.5
    expect(computeFreshness({ ...emptySnapshot(), openInterest: [{ ts: NOW - 35 * 60_000, openInterest: 1 }] }, NOW, DEFAULT_ENGINE_CONFIG)).toBeCloseTo(
      0.5,
      12,
    );
    // funding settles every hour on this contract: fresh to 75 min, stale at 3 h; a settlement 5 days old is worthless
    const funding = (ageMs: number, fundingIntervalMinutes: number) =>
      computeFreshness({ ...emptySnapshot(), funding: [{ ts: NOW - ageMs, rate: 0.0001 }], fundingIntervalMinutes }, NOW, DEFAULT_ENGINE_CONFIG);
    expect(funding(5 * 86_400_000, 480)).toBe(0);
    expect(funding(7 * 3_600_000, 480)).toBe(1);
    expect(funding(7 * 3_600_000, 60)).toBe(0);
  });

  it('when the same market is scored with stale data, then only freshness and the confidence value drop, not the score', () => {
    const s = syntheticMarket('up');
    const a = createEngine().score(s, NOW);
    const b = createEngine().score({ ...s, book: { ...s.book!, ts: NOW - 60_000 } }, NOW);
    expect(b.score).toBe(a.score);
    expect(b.confidence.freshness).toBeLessThan(a.confidence.freshness);
    expect(b.confidence.value).toBeLessThan(a.confidence.value);
  });

  it('when a book is resyncing, then completeness and confidence drop against the synced book', () => {
    const s = syntheticMarket('up');
    const a = createEngine().score(s, NOW);
    const b = createEngine().score({ ...s, book: { ...s.book!, synced: false } }, NOW);
    expect(a.confidence.completeness).toBe(1);
    expect(b.confidence.completeness).toBeCloseTo(0.8, 3);
    expect(b.confidence.value).toBeLessThan(a.confidence.value);
  });
});
