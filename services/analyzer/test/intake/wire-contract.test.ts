// The analyzer's side of the shared Bybit wire contract: its timeframes and warm-up sizes come from it.
import { INTERVAL_MS, KLINE_INTERVALS, WARMUP } from '@confluence/bybit-wire';
import { TIMEFRAME_MS as ENGINE_TIMEFRAME_MS, TIMEFRAMES } from '@confluence/contracts';
import { INTERVAL_TO_TIMEFRAME, TIMEFRAME_MS, TIMEFRAME_TO_INTERVAL } from '../../src/intake/events';
import { ACCOUNT_RATIO_BACKFILL, FUNDING_BACKFILL, KLINE_BACKFILL, OPEN_INTEREST_BACKFILL } from '../../src/intake/warmup';
import { CANDLES_PER_TIMEFRAME } from '../../src/state/candles';

describe('analyzer and the wire contract', () => {
  test('when a timeframe is mapped to a kline interval and back, then every timeframe has one interval of the same length', () => {
    expect(TIMEFRAMES.map((tf) => INTERVAL_TO_TIMEFRAME[TIMEFRAME_TO_INTERVAL[tf]])).toEqual([...TIMEFRAMES]);
    expect(TIMEFRAMES.map((tf) => TIMEFRAME_TO_INTERVAL[tf])).toEqual([...KLINE_INTERVALS]);
    expect(TIMEFRAMES.map((tf) => TIMEFRAME_MS[tf])).toEqual(KLINE_INTERVALS.map((i) => INTERVAL_MS[i]));
    expect(TIMEFRAME_MS).toEqual(ENGINE_TIMEFRAME_MS);
    expect(TIMEFRAME_MS['4h']).toBe(4 * 3_600_000);
  });

  test("when a symbol warms up, then one kline page fills exactly what the candle store keeps, and the series pages are the contract's", () => {
    expect(KLINE_BACKFILL).toBe(CANDLES_PER_TIMEFRAME);
    expect([OPEN_INTEREST_BACKFILL, ACCOUNT_RATIO_BACKFILL, FUNDING_BACKFILL]).toEqual([
      WARMUP.openInterestLimit,
      WARMUP.accountRatioLimit,
      WARMUP.fundingLimit,
    ]);
  });
});
