import { createEngine, DEFAULT_ENGINE_CONFIG, directionOf, fundingPer8h, type MarketSnapshot } from '@confluence/confluence';
import { emptySnapshot, NOW, syntheticMarket } from './helpers/market';
import { component, sub } from './helpers/result';

/** Only funding counts, so a funding rate sets the score exactly: score = 50 − 40·tanh(deadband(f8, 0.01 %)/0.1 %). */
const FUNDING_ONLY = {
  componentWeights: { technical: 0, volume: 0, orderflow: 0, orderbook: 0, structure: 0, sentiment: 1 },
  subWeights: { sentiment: { funding: 1, longShort: 0, liquidations: 0, oiActivity: 0 } },
};
/** The funding rate (8-hour contract) that scores `score`. */
const rateFor = (score: number) => -Math.sign(score - 50) * (0.0001 + 0.001 * Math.atanh(Math.abs(score - 50) / 40));
const at = (score: number): MarketSnapshot => ({ ...emptySnapshot(), funding: [{ ts: NOW - 3_600_000, rate: rateFor(score) }], fundingIntervalMinutes: 480 });

describe('direction label hysteresis (enter at 60 / 40, leave below 57 / above 43)', () => {
  test('when a Bullish score eases to 58, then it stays Bullish; below 57 it turns Neutral and needs 60 again to come back', () => {
    const engine = createEngine(FUNDING_ONLY);
    const seq = [61, 58, 57, 56.9, 58, 59.9, 60].map((x) => {
      const r = engine.score(at(x), NOW);
      return [r.score, r.direction, r.strength];
    });
    expect(seq).toEqual([
      [61, 'Bullish', 'moderate'],
      [58, 'Bullish', 'moderate'],
      [57, 'Bullish', 'moderate'],
      [56.9, 'Neutral', null],
      [58, 'Neutral', null],
      [59.9, 'Neutral', null],
      [60, 'Bullish', 'moderate'],
    ]);
  });

  test('when a Bearish score recovers to 42, then it stays Bearish; above 43 it turns Neutral (mirrored)', () => {
    const engine = createEngine(FUNDING_ONLY);
    const seq = [39, 42, 43, 43.1, 41].map((x) => engine.score(at(x), NOW).direction);
    expect(seq).toEqual(['Bearish', 'Bearish', 'Bearish', 'Neutral', 'Neutral']);
  });

  test('when a fresh engine sees 58, then it is Neutral: the hold needs a previous Bullish label for the same symbol', () => {
    const engine = createEngine(FUNDING_ONLY);
    engine.score(at(65), NOW);
    expect(engine.score({ ...at(58), symbol: 'OTHERUSDT' }, NOW).direction).toBe('Neutral');
    expect(engine.score(at(58), NOW).direction).toBe('Bullish');
    engine.forget('TESTUSDT');
    expect(engine.score(at(58), NOW).direction).toBe('Neutral');
  });
});

describe('a label needs enough data and agreement', () => {
  test('when sentiment alone says 80 and everything else is missing, then the label is Neutral and the rationale says why', () => {
    const s: MarketSnapshot = { ...emptySnapshot(), funding: [{ ts: NOW - 3_600_000, rate: rateFor(80) }], fundingIntervalMinutes: 480 };
    const r = createEngine().score(s, NOW);
    expect(r.score).toBe(80);
    expect(r.direction).toBe('Neutral');
    expect(r.strength).toBeNull();
    expect(r.confidence.completeness).toBeLessThan(0.1);
    expect(r.rationale).toMatch(/^Neutral 80\.0 \(no direction: only 3 % of the inputs available \(needs 60 % for a direction\)\)/);
  });

  test('when every input trends up, then the label is Bullish with high confidence; a range is Neutral with low confidence', () => {
    const up = createEngine().score(syntheticMarket('up'), NOW);
    const range = createEngine().score(syntheticMarket('range'), NOW);
    expect(up.direction).toBe('Bullish');
    expect(up.confidence.agreement).toBeGreaterThan(0.9);
    expect(range.direction).toBe('Neutral');
    expect(range.confidence.value).toBeLessThan(0.35);
    expect(up.confidence.value).toBeGreaterThan(range.confidence.value + 0.4);
  });
});

describe('funding per 8 hours', () => {
  test('when the same printed rate settles every hour instead of every 8 hours, then it scores as 8× the carry', () => {
    expect(fundingPer8h(0.0001, 60)).toBeCloseTo(0.0008, 12);
    expect(fundingPer8h(0.0001, 240)).toBeCloseTo(0.0002, 12);
    const s = (fundingIntervalMinutes: number | undefined): MarketSnapshot => ({
      ...syntheticMarket('range'),
      ticker: { ...syntheticMarket('range').ticker!, fundingRate: 0.0003 },
      fundingIntervalMinutes,
    });
    const eight = sub(createEngine().score(s(480), NOW), 'sentiment', 'funding');
    const one = sub(createEngine().score(s(60), NOW), 'sentiment', 'funding');
    expect(eight.raw).toBeCloseTo(0.0003, 10);
    expect(one.raw).toBeCloseTo(0.0024, 10);
    // 50 − 40·tanh(0.2) = 42.1 against 50 − 40·tanh(2.3) = 10.8
    expect(eight.score).toBe(42.1);
    expect(one.score).toBe(10.8);
    expect(one.reason).toMatch(/0\.03 % per 1 h as an 8-hour equivalent/);
    expect(sub(createEngine().score(s(undefined), NOW), 'sentiment', 'funding').reason).toMatch(/interval unknown, taken as 8 h/);
  });
});

describe('no data is not "no event"', () => {
  const base = syntheticMarket('range');

  test('when the liquidation feed never delivered, then liquidations are missing (not a neutral 50) and completeness drops', () => {
    const live = createEngine().score(base, NOW);
    expect(sub(live, 'sentiment', 'liquidations').score).toBe(50);
    expect(sub(live, 'sentiment', 'liquidations').reason).toMatch(/no event/);
    const dead = createEngine().score({ ...base, liquidationFeedLastEventAt: undefined }, NOW);
    expect(sub(dead, 'sentiment', 'liquidations').score).toBeNull();
    expect(sub(dead, 'sentiment', 'liquidations').reason).toBe('the liquidation feed has not delivered yet');
    expect(dead.confidence.completeness).toBeLessThan(live.confidence.completeness);
    const silent = createEngine().score({ ...base, liquidationFeedLastEventAt: NOW - 2 * 3_600_000 }, NOW);
    expect(sub(silent, 'sentiment', 'liquidations').reason).toBe('the liquidation feed has been silent for 120 min');
  });

  test('when the long/short point is 48 h old, then it is not scored, and completeness and freshness fall', () => {
    const r = createEngine().score(base, NOW);
    const old = createEngine().score({ ...base, longShort: [{ ts: NOW - 48 * 3_600_000, buyRatio: 0.7, sellRatio: 0.3 }] }, NOW);
    expect(sub(old, 'sentiment', 'longShort').score).toBeNull();
    expect(sub(old, 'sentiment', 'longShort').reason).toBe('long/short ratio is 2880 min old');
    expect(old.confidence.completeness).toBeLessThan(r.confidence.completeness);
    expect(old.confidence.freshness).toBeLessThan(r.confidence.freshness);
  });

  test('when funding history is 5 days old and the ticker has no rate, then funding is missing', () => {
    const s: MarketSnapshot = { ...base, ticker: { ...base.ticker!, fundingRate: undefined }, funding: [{ ts: NOW - 5 * 86_400_000, rate: 0.001 }] };
    const r = createEngine().score(s, NOW);
    expect(sub(r, 'sentiment', 'funding').score).toBeNull();
    expect(component(r, 'sentiment').score).not.toBeNull();
  });
});

describe('the label gate has its own hysteresis', () => {
  const cfg = DEFAULT_ENGINE_CONFIG;
  test('when confidence is 0.15, then a new Bullish label is refused but one already shown is kept; below 0.1 it goes', () => {
    expect(directionOf(65, 'Neutral', 1, 0.15, cfg)).toEqual({ direction: 'Neutral', gated: 'confidence 0.15 below 0.2 (components do not agree)' });
    expect(directionOf(65, 'Bullish', 1, 0.15, cfg)).toEqual({ direction: 'Bullish', gated: null });
    expect(directionOf(65, 'Bullish', 1, 0.09, cfg).direction).toBe('Neutral');
    expect(directionOf(35, 'Bearish', 1, 0.15, cfg).direction).toBe('Bearish');
    // completeness has no hold: half the inputs missing is Neutral whatever was shown
    expect(directionOf(65, 'Bullish', 0.5, 0.9, cfg).direction).toBe('Neutral');
  });
});
