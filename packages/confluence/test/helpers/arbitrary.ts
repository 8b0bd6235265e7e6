import fc from 'fast-check';
import { TIMEFRAMES, type Timeframe } from '@confluence/contracts';
import {
  tradeColumns,
  type BookLevel,
  type BookSnapshot,
  type Candle,
  type Liquidation,
  type LongShortPoint,
  type MarketSnapshot,
  type OpenInterestPoint,
  type TickerState,
  type Trade,
} from '@confluence/confluence';
import { NOW, P0, TF_MS } from './market';

/** Prices are P0 + k/8: exactly representable, so the mirror 2·P0 − p is exact. */
const EIGHTH = 1 / 8;

const candleStep = fc.record({
  step: fc.oneof(fc.constant(0), fc.integer({ min: -12, max: 12 })),
  upWick: fc.integer({ min: 0, max: 6 }),
  downWick: fc.integer({ min: 0, max: 6 }),
  volume: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 5000 }), fc.double({ min: 0, max: 1e6, noNaN: true, noDefaultInfinity: true })),
});
/** Mostly long enough for every indicator (MACD/AO need 34, EMA50 50), sometimes short, empty or flat. */
const candleSteps = fc.oneof(
  { weight: 1, arbitrary: fc.array(candleStep, { maxLength: 12 }) },
  { weight: 1, arbitrary: fc.array(fc.constant({ step: 0, upWick: 0, downWick: 0, volume: 0 }), { minLength: 30, maxLength: 60 }) },
  { weight: 5, arbitrary: fc.array(candleStep, { minLength: 40, maxLength: 90 }) },
);

function buildCandles(
  tf: Timeframe,
  steps: { step: number; upWick: number; downWick: number; volume: number }[],
  forming: boolean,
  startOffset: number,
): Candle[] {
  const ms = TF_MS[tf];
  const n = steps.length;
  const formingStart = Math.floor(NOW / ms) * ms;
  const firstStart = formingStart - (forming ? n - 1 : n) * ms - startOffset * ms;
  let k = 0;
  return steps.map((s, i) => {
    const open = P0 + k * EIGHTH;
    k += s.step;
    const close = P0 + k * EIGHTH;
    return {
      start: firstStart + i * ms,
      open,
      high: Math.max(open, close) + s.upWick * EIGHTH,
      low: Math.min(open, close) - s.downWick * EIGHTH,
      close,
      volume: s.volume,
      turnover: 0,
      confirmed: !(forming && i === n - 1),
    };
  });
}

const candlesArb: fc.Arbitrary<Record<Timeframe, Candle[]>> = fc
  .tuple(...TIMEFRAMES.map(() => fc.tuple(candleSteps, fc.boolean(), fc.integer({ min: 0, max: 3 }))))
  .map((parts) => {
    const out = {} as Record<Timeframe, Candle[]>;
    TIMEFRAMES.forEach((tf, i) => {
      const [steps, forming, offset] = parts[i];
      out[tf] = buildCandles(tf, steps, forming, offset);
    });
    return out;
  });

/** Books centred on P0 (so mirroring around P0 maps the book onto itself), with 0–25 levels a side. */
const bookArb: fc.Arbitrary<BookSnapshot | undefined> = fc.option(
  fc
    .record({
      half: fc.integer({ min: 1, max: 8 }),
      bidGaps: fc.array(
        fc.record({ gap: fc.integer({ min: 1, max: 40 }), size: fc.oneof(fc.constant(0.5), fc.double({ min: 0.001, max: 500, noNaN: true })) }),
        { maxLength: 25 },
      ),
      askGaps: fc.array(
        fc.record({ gap: fc.integer({ min: 1, max: 40 }), size: fc.oneof(fc.constant(0.5), fc.double({ min: 0.001, max: 500, noNaN: true })) }),
        { maxLength: 25 },
      ),
      first: fc.tuple(fc.double({ min: 0.001, max: 500, noNaN: true }), fc.double({ min: 0.001, max: 500, noNaN: true })),
      synced: fc.oneof({ weight: 4, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
      age: fc.integer({ min: 0, max: 60_000 }),
    })
    .map(({ half, bidGaps, askGaps, first, synced, age }) => {
      const bids: BookLevel[] = [[P0 - half * EIGHTH, first[0]]];
      const asks: BookLevel[] = [[P0 + half * EIGHTH, first[1]]];
      let p = P0 - half * EIGHTH;
      for (const g of bidGaps) {
        p -= g.gap * EIGHTH;
        bids.push([p, g.size]);
      }
      p = P0 + half * EIGHTH;
      for (const g of askGaps) {
        p += g.gap * EIGHTH;
        asks.push([p, g.size]);
      }
      return { bids, asks, ts: NOW - age, synced };
    }),
  { nil: undefined },
);

const tradeArb = fc.record({
  back: fc.integer({ min: 0, max: 1_200_000 }),
  k: fc.integer({ min: -80, max: 80 }),
  size: fc.oneof(fc.constant(1), fc.double({ min: 0.0001, max: 100, noNaN: true })),
  buy: fc.boolean(),
});
const tradesArb: fc.Arbitrary<Trade[]> = fc
  .oneof({ weight: 1, arbitrary: fc.array(tradeArb, { maxLength: 10 }) }, { weight: 4, arbitrary: fc.array(tradeArb, { minLength: 60, maxLength: 400 }) })
  .map((ts) =>
    ts.map((t) => ({ ts: NOW - t.back, price: P0 + t.k * EIGHTH, size: t.size, side: (t.buy ? 'Buy' : 'Sell') as Trade['side'] })).sort((a, b) => a.ts - b.ts),
  );

const tickerArb: fc.Arbitrary<TickerState | undefined> = fc.option(
  fc
    .record({
      fundingRate: fc.option(fc.double({ min: -0.003, max: 0.003, noNaN: true }), { nil: undefined }),
      openInterest: fc.option(fc.double({ min: 1, max: 1e7, noNaN: true }), { nil: undefined }),
      age: fc.integer({ min: 0, max: 120_000 }),
    })
    .map(({ fundingRate, openInterest, age }) => ({
      lastPrice: P0,
      markPrice: P0,
      indexPrice: P0,
      price24hPcnt: 0,
      turnover24h: 1e6,
      volume24h: 1e3,
      openInterest,
      openInterestValue: undefined,
      fundingRate,
      nextFundingTime: undefined,
      bid1Price: undefined,
      ask1Price: undefined,
      ts: NOW - age,
    })),
  { nil: undefined },
);

const oiArb: fc.Arbitrary<OpenInterestPoint[]> = fc
  .array(fc.record({ back: fc.integer({ min: 0, max: 7_200_000 }), oi: fc.double({ min: 0, max: 1e7, noNaN: true }) }), { maxLength: 30, size: 'large' })
  .map((a) => a.map((p) => ({ ts: NOW - p.back, openInterest: p.oi })).sort((x, y) => x.ts - y.ts));

const longShortArb: fc.Arbitrary<LongShortPoint[]> = fc.array(
  fc.double({ min: 0, max: 1, noNaN: true }).map((b) => ({ ts: NOW - 300_000, buyRatio: b, sellRatio: 1 - b })),
  { maxLength: 2 },
);

const liquidationsArb: fc.Arbitrary<Liquidation[]> = fc
  .array(fc.record({ back: fc.integer({ min: 0, max: 1_200_000 }), size: fc.double({ min: 0.001, max: 1000, noNaN: true }), buy: fc.boolean() }), {
    maxLength: 20,
  })
  .map((a) => a.map((l) => ({ ts: NOW - l.back, price: P0, size: l.size, side: (l.buy ? 'Buy' : 'Sell') as Liquidation['side'] })).sort((x, y) => x.ts - y.ts));

/** Arbitrary snapshots, including empty and degenerate ones (no candles, zero volume, flat prices, one-level books). */
export const snapshotArb: fc.Arbitrary<MarketSnapshot> = fc
  .record({
    candles: candlesArb,
    book: bookArb,
    trades: tradesArb.map(tradeColumns),
    ticker: tickerArb,
    funding: fc.array(
      fc.double({ min: -0.003, max: 0.003, noNaN: true }).map((rate) => ({ ts: NOW - 3_600_000, rate })),
      { maxLength: 2 },
    ),
    openInterest: oiArb,
    longShort: longShortArb,
    liquidations: liquidationsArb,
    spreadHistoryBps: fc.array(fc.double({ min: 0, max: 200, noNaN: true }), { maxLength: 30 }),
  })
  .map((r) => ({ symbol: 'PROPUSDT', ...r }));
