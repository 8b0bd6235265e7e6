import { tradeCount } from '@confluence/confluence';
import { TIMEFRAMES } from '@confluence/contracts';
import { createNormalizer, MALFORMED_REASONS, TOPIC_FAMILIES } from '../../src/intake/bybit/normalize';
import { isControlEvent, type MarketEvent } from '../../src/intake/events';
import { syntheticFrameStream } from '@confluence/testkit';
import { DEFAULT_LIMITS, MarketStore, type StateLimits } from '../../src/state/market-store';

// Every bound is a StateLimits value the store is built with, so the test shrinks them (about a tenth of the
// defaults, windows included) and feeds 60,000 messages instead of a million: each bound is still reached and must
// still hold, and the code paths are the production ones. The defaults are checked to be the larger ones, so the
// scaled-down values are not a different regime (bigger limits only mean more messages before the cap binds).
const L: StateLimits = {
  ...DEFAULT_LIMITS,
  candlesPerTimeframe: 20,
  tradesWindowMs: 60_000,
  tradesMax: 500,
  liquidationsWindowMs: 5 * 60_000,
  liquidationsMax: 50,
  openInterestMax: 60,
  spreadSamples: 60,
};
const DENSE = 30_000;
const SPARSE = 30_000;
const TOTAL = DENSE + SPARSE;

describe('bounded memory', () => {
  test('the scaled-down limits are each at most the default', () => {
    for (const [k, v] of Object.entries(L)) expect(v).toBeLessThanOrEqual(DEFAULT_LIMITS[k as keyof StateLimits]);
  });

  test('when 60,000 messages are ingested (dense then sparse, plus unknown symbols and garbage), then every structure stays within its bound', () => {
    const symbols = ['AAAUSDT', 'BBBUSDT', 'CCCUSDT'];
    let clock = 0;
    const store = new MarketStore({ now: () => clock, limits: L });
    for (const s of symbols) store.add(s);
    const normalizer = createNormalizer();
    const events: MarketEvent[] = [];
    let maxSeen = { trades: 0, liquidations: 0, book: 0, candles: 0, oi: 0, spread: 0 };

    const check = () => {
      for (const s of symbols) {
        const snap = store.snapshot(s)!; // expires the time windows against the clock first
        const z = store.sizes(s)!;
        expect(z.trades).toBeLessThanOrEqual(L.tradesMax);
        expect(z.liquidations).toBeLessThanOrEqual(L.liquidationsMax);
        expect(Math.max(z.bookBids, z.bookAsks)).toBeLessThanOrEqual(L.bookDepth + Math.max(10, Math.ceil(L.bookDepth / 2)));
        for (const tf of TIMEFRAMES) expect(z.candles[tf]).toBeLessThanOrEqual(L.candlesPerTimeframe);
        expect(z.openInterest).toBeLessThanOrEqual(L.openInterestMax);
        expect(z.spread).toBeLessThanOrEqual(L.spreadSamples);
        expect(z.longShort).toBeLessThanOrEqual(L.longShortMax);
        expect(z.funding).toBeLessThanOrEqual(L.fundingMax);
        expect(tradeCount(snap.trades)).toBe(z.trades);
        maxSeen = {
          trades: Math.max(maxSeen.trades, z.trades),
          liquidations: Math.max(maxSeen.liquidations, z.liquidations),
          book: Math.max(maxSeen.book, z.bookBids, z.bookAsks),
          candles: Math.max(maxSeen.candles, ...TIMEFRAMES.map((tf) => z.candles[tf])),
          oi: Math.max(maxSeen.oi, z.openInterest),
          spread: Math.max(maxSeen.spread, z.spread),
        };
      }
      expect(store.size).toBe(symbols.length);
    };

    let n = 0;
    const ingest = (raw: string) => {
      events.length = 0;
      normalizer.normalizeInto(raw, clock, events);
      for (const ev of events) if (!isControlEvent(ev)) store.apply(ev);
      n++;
      if (n % 100 === 0) {
        normalizer.normalizeInto(
          `{"topic":"publicTrade.ZZ${n}USDT","type":"snapshot","ts":${clock},"data":[{"T":${clock},"S":"Buy","v":"1","p":"1","i":"x"}]}`,
          clock,
          events,
        );
        for (const ev of events) if (!isControlEvent(ev)) store.apply(ev);
        normalizer.normalizeInto(`garbage ${n}`, clock, events);
        normalizer.normalizeInto(`{"topic":"weird${n}.X","data":1}`, clock, events);
      }
      if (n % 5_000 === 0) check();
    };

    // Dense phase: 30k frames 1 ms apart (30 s of exchange time) — the trade and liquidation count caps bind.
    const start = 1_767_225_600_000;
    for (const raw of syntheticFrameStream({ symbols, count: DENSE, startTs: start, stepMs: 1, seed: 1 })) {
      clock = start + n;
      ingest(raw);
    }
    // Sparse phase: 30k frames 200 ms apart (100 min) — the time windows and the candle, spread and OI caps bind.
    const start2 = start + DENSE;
    let k = 0;
    for (const raw of syntheticFrameStream({ symbols, count: SPARSE, startTs: start2, stepMs: 200, seed: 2 })) {
      clock = start2 + ++k * 200;
      ingest(raw);
    }
    check();
    expect(n).toBe(TOTAL);
    // The bounds were actually reached, so the test exercised them.
    expect(maxSeen.trades).toBe(L.tradesMax);
    expect(maxSeen.liquidations).toBe(L.liquidationsMax);
    expect(maxSeen.candles).toBe(L.candlesPerTimeframe);
    expect(maxSeen.spread).toBe(L.spreadSamples);
    expect(maxSeen.oi).toBe(L.openInterestMax);
    // The time windows let the dense burst go: at the sparse rate far fewer trades fit in the window than the cap.
    for (const s of symbols) expect(store.sizes(s)!.trades).toBeLessThan(L.tradesMax / 2);
    // Counters are fixed-key objects: garbage with ever-new topic names does not grow them.
    expect(Object.keys(normalizer.counters.malformed).sort()).toEqual([...MALFORMED_REASONS].sort());
    expect(Object.keys(normalizer.counters.byTopic).sort()).toEqual([...TOPIC_FAMILIES].sort());
    expect(store.unknownSymbol).toBe(TOTAL / 100);
    expect(store.resyncs).toBe(0);
    const m = normalizer.counters.malformed;
    expect(m.invalid_json).toBe(TOTAL / 100);
    expect(m.unknown_topic).toBe(TOTAL / 100);
    expect(Object.values(m).reduce((a, b) => a + b, 0)).toBe(TOTAL / 50);
  });
});
