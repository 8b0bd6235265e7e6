import fc from 'fast-check';
import { cvdPriceRaw, mapAggressor, mapCvdTrend, mapLargeTrades, oiPriceRaw } from '../src/components/orderflow';
import { spreadFactor } from '../src/components/orderbook';
import { mapFunding, mapLiquidations, mapLongShort, oiActivityRaw } from '../src/components/sentiment';
import { mapEmaAlignment, mapEmaPosition, mapMarketStructure, mapRangePosition, mapSupportResistance } from '../src/components/structure';
import { mapAdx, mapAo, mapCci, mapMacd, mapRsi, mapWilliamsR } from '../src/components/technical';
import { mapAccumulation, mapCmf, mapObvTrend, mapRelativeVolume, mapVolumeDelta, mapVwapPosition } from '../src/components/volume';
import { roundScore } from '../src/math';
import { nearestLevels } from '../src/swings';

const t = Math.tanh;

describe('sub-signal mappings (hand-computed points)', () => {
  it('technical', () => {
    expect(mapRsi(63)).toBe(63);
    expect(mapRsi(90)).toBe(75); // 80 − 0.5·10
    expect(mapRsi(10)).toBe(25); // 20 + 0.5·10
    expect(mapMacd(1, 0.1, 2)).toBeCloseTo(50 + 30 * t(0.5) + 20 * t(0.15), 12);
    expect(mapMacd(1, 1, 0)).toBe(50);
    expect(mapAo(3, 1)).toBeCloseTo(50 + 50 * t(1), 12);
    expect(mapWilliamsR(-20)).toBe(74); // 50 + 0.8·30
    expect(mapWilliamsR(-100)).toBe(10);
    expect(mapCci(200)).toBeCloseTo(50 + 50 * t(1), 12); // 88.08
    expect(mapCci(Number.NaN)).toBe(50);
    expect(mapAdx(40, 0.3, 0.1)).toBe(75); // dir (0.3 − 0.1)/0.4 = 0.5, strength 1
    expect(mapAdx(25, 0.1, 0.3)).toBe(37.5); // dir −0.5, strength 0.5
    expect(mapAdx(8, 0.3, 0.1)).toBe(50); // ADX < 10: no trend
  });

  it('volume', () => {
    expect(mapRelativeVolume(2, 1)).toBeCloseTo(50 + 50 * t(1), 12); // rvol 2 → full confirmation
    expect(mapRelativeVolume(0.5, 1)).toBe(50); // quiet volume confirms nothing
    expect(mapRelativeVolume(1.25, -1)).toBeCloseTo(50 - 25 * t(1), 12); // half confirmation
    expect(mapObvTrend(-0.4)).toBe(30);
    expect(mapCmf(0.25)).toBeCloseTo(50 + 50 * t(1), 12);
    expect(mapAccumulation(2)).toBeCloseTo(50 + 50 * t(1), 12);
    expect(mapVolumeDelta(-0.5)).toBeCloseTo(50 - 50 * t(1), 12);
    expect(mapVwapPosition(1)).toBeCloseTo(50 + 50 * t(0.5), 12);
  });

  it('order flow', () => {
    expect(mapCvdTrend(0.25)).toBeCloseTo(50 + 50 * t(0.5), 12);
    expect(cvdPriceRaw(0.64, 0.25)).toBeCloseTo(0.4, 12); // agree: √(0.64·0.25)
    expect(cvdPriceRaw(-0.4, 0.4)).toBeCloseTo(-0.2, 12); // diverge: (−0.4 − 0.4)/4
    expect(mapAggressor(0.5, 0.5)).toBeCloseTo(50 + 50 * t(0.525), 12); // 1.5·0.35
    expect(oiPriceRaw(0.8, 0.5)).toBeCloseTo(0.4, 12); // new longs
    expect(oiPriceRaw(0.8, -0.5)).toBeCloseTo(-0.4, 12); // new shorts
    expect(oiPriceRaw(-0.8, 0.5)).toBeCloseTo(0.2, 12); // short covering: half
    expect(oiPriceRaw(-0.8, -0.5)).toBeCloseTo(-0.2, 12); // long liquidation: half
    expect(mapLargeTrades(0.15)).toBeCloseTo(50 + 50 * t(1), 12);
  });

  it('order book spread factor', () => {
    expect(spreadFactor(3, []).factor).toBe(1);
    expect(spreadFactor(50, []).factor).toBe(0.5);
    expect(spreadFactor(27.5, []).factor).toBeCloseTo(0.75, 12);
    // samples 1,1,1,1,5: mean 1.8, sd 1.6 → CV 0.889 → stability 1 − 0.3·(0.389/1.5) = 0.92222
    const f = spreadFactor(5, [1, 1, 1, 1, 5]);
    expect(f.cv).toBeCloseTo(1.6 / 1.8, 12);
    expect(f.factor).toBeCloseTo(1 - (0.3 * (1.6 / 1.8 - 0.5)) / 1.5, 12);
  });

  it('structure', () => {
    expect(mapEmaPosition(104, 100, 100, 2)).toBeCloseTo(50 + 50 * t(1), 12);
    expect(mapEmaAlignment(97, 100, 2)).toBeCloseTo(50 - 50 * t(1), 12);
    expect(mapMarketStructure(1, 0)).toBe(80);
    expect(mapMarketStructure(-0.5, -1)).toBe(15); // 50 + 50·(−0.3 − 0.4)
    expect(mapSupportResistance(1, 3)).toBe(70); // 50 + 40·(3 − 1)/4
    expect(mapRangePosition(0.25)).toBe(30);
    // levels 10, 10.2 (merge at tolerance 0.5 → 10.1) and 12: from 11, support 10.1 below, resistance 12 above
    const swings = { highs: [], lows: [], sortedPrices: new Float64Array([10, 10.2, 12]) };
    const { below, above } = nearestLevels(swings, 0.5, 11);
    expect(below).toBeCloseTo(10.1, 12);
    expect(above).toBe(12);
  });

  it('sentiment', () => {
    expect(mapFunding(0.0001)).toBe(50);
    expect(mapFunding(0.0011)).toBeCloseTo(50 - 40 * t(1), 12); // 19.54
    expect(mapFunding(-0.0011)).toBeCloseTo(50 + 40 * t(1), 12);
    expect(mapLongShort(0.2)).toBe(50);
    expect(mapLongShort(-0.6)).toBeCloseTo(50 + 40 * t(1), 12);
    expect(mapLiquidations(-1, 0.5)).toBe(30);
    expect(oiActivityRaw(0.1, 0.5)).toBeCloseTo(0.5 * t(1), 12);
    expect(oiActivityRaw(-0.1, 0.5)).toBeCloseTo(0.25 * t(1), 12);
  });

  it('every mapping is odd around its neutral input, so mirrored markets mirror scores', () => {
    const x = fc.double({ min: -5, max: 5, noNaN: true });
    fc.assert(
      fc.property(x, fc.double({ min: 0.01, max: 5, noNaN: true }), (v, s) => {
        const odd = (f: (v: number) => number) => expect(f(v) + f(-v)).toBeCloseTo(100, 9);
        odd((y) => mapRsi(50 + 10 * y));
        odd((y) => mapWilliamsR(-50 + 10 * y));
        odd(mapCci);
        odd((y) => mapAo(y, s));
        odd((y) => mapMacd(y, y / 3, s));
        odd(mapCmf);
        odd(mapAccumulation);
        odd(mapVolumeDelta);
        odd(mapVwapPosition);
        odd((y) => mapRelativeVolume(s, y));
        odd(mapFunding);
        odd(mapLongShort);
        odd(mapCvdTrend);
        odd(mapLargeTrades);
        odd((y) => 50 + 50 * cvdPriceRaw(Math.tanh(y), Math.tanh(y / 2)));
        odd((y) => 50 + 50 * oiPriceRaw(Math.tanh(s - 2.5), Math.tanh(y)));
        odd((y) => 50 + 50 * oiActivityRaw(s - 2.5, Math.tanh(y)));
        expect(roundScore(50 + v) + roundScore(50 - v)).toBeCloseTo(100, 9);
      }),
    );
  });
});
