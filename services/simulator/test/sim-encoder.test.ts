// The encoder on its own: the market model hands it typed values (ticks, quantity steps, numbers) and it writes
// Bybit's strings on the instrument's grid. The analyzer's normalizer must accept what it writes.
import { createNormalizer } from '@confluence/analyzer';
import { silentLogger } from '@confluence/logger';
import { klineWire, liquidationWire, TICKER_KEYS, tickerWire, tradeWire } from '../src/encoder';
import { buildUniverse } from '../src/instruments';
import type { SimTicker, SimTrade } from '../src/symbol-market';

const btc = buildUniverse(5).simulated.find((s) => s.symbol === 'BTCUSDT')!;

const ticker: SimTicker = {
  symbol: 'BTCUSDT',
  tickDirection: 'PlusTick',
  change24h: 0.0123456789,
  lastTicks: 1_000_005,
  prev24hTicks: 987_810,
  high24hTicks: 1_001_000,
  low24hTicks: 980_000,
  prev1hTicks: 999_000,
  markTicks: 1_000_004,
  indexTicks: 1_000_001,
  openInterestUnits: 52_345,
  openInterestValue: 5_234_520.987654,
  turnover24h: 123_456_789.123456,
  volume24h: 1234.56789,
  nextFundingTime: 1_736_150_400_000,
  fundingRate: 0.000125,
  bid1Ticks: 1_000_004,
  bid1Units: 17,
  ask1Ticks: 1_000_005,
  ask1Units: 3,
  fundingIntervalHours: 8,
  fundingCap: 0.005,
};

describe('sim encoder', () => {
  test('when a ticker is encoded, then prices sit on the tick grid, sizes on the quantity grid, keys in Bybit order', () => {
    expect(btc.tickSize).toBe('0.10');
    const w = tickerWire(btc, ticker);
    expect(Object.keys(w)).toEqual([...TICKER_KEYS]);
    expect(w).toMatchObject({
      lastPrice: '100000.50',
      prevPrice24h: '98781.00',
      markPrice: '100000.40',
      bid1Price: '100000.40',
      ask1Price: '100000.50',
      price24hPcnt: '0.012346',
      openInterest: (52_345 * btc.qty).toFixed(btc.qtyDecimals),
      bid1Size: (17 * btc.qty).toFixed(btc.qtyDecimals),
      openInterestValue: '5234520.99',
      turnover24h: '123456789.1235',
      nextFundingTime: '1736150400000',
      fundingRate: '0.000125',
      fundingIntervalHour: '8',
      fundingCap: '0.005',
      preOpenPrice: '',
    });
  });

  test('when model events are encoded into frames, then the analyzer normalizes every one of them without a complaint', () => {
    const trade: SimTrade = {
      time: 1_736_121_600_123,
      side: 'Sell',
      units: 4,
      priceTicks: 1_000_003,
      tickDirection: 'MinusTick',
      id: 't-1',
      seq: 9,
      blockTrade: false,
      rpi: false,
    };
    const frames = [
      { topic: 'publicTrade.BTCUSDT', type: 'snapshot', ts: trade.time, data: [tradeWire(btc, trade)] },
      {
        topic: 'allLiquidation.BTCUSDT',
        type: 'snapshot',
        ts: trade.time,
        data: [liquidationWire(btc, { time: trade.time, side: 'Buy', units: 2, priceTicks: 999_990 })],
      },
      { topic: 'tickers.BTCUSDT', type: 'snapshot', cs: 1, ts: trade.time, data: tickerWire(btc, ticker) },
      {
        topic: 'kline.5.BTCUSDT',
        type: 'snapshot',
        ts: trade.time,
        data: [
          klineWire(
            btc,
            '5',
            { start: 1_736_121_600_000, open: 1_000_000, high: 1_000_010, low: 999_990, close: 1_000_003, volume: 40, turnover: 400_001.5 },
            false,
            trade.time,
          ),
        ],
      },
    ];
    const normalizer = createNormalizer({ logger: silentLogger() });
    const events = frames.flatMap((f) => normalizer.normalize(JSON.stringify(f), trade.time + 5));
    expect(Object.values(normalizer.counters.malformed).reduce((a, b) => a + b, 0)).toBe(0);
    expect(events.map((e) => e.type)).toEqual(['trade', 'liquidation', 'ticker', 'candle']);
    expect(events[0]).toMatchObject({ price: 100000.3, side: 'Sell', size: 4 * btc.qty });
    expect(events[3]).toMatchObject({ timeframe: '5m', start: 1_736_121_600_000, high: 100001, confirmed: false });
  });
});
