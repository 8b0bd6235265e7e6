import {
  BOOK_DEPTHS,
  INTERVAL_MS,
  isKlineInterval,
  KLINE_INTERVALS,
  MAX_ARGS_CHARS_PER_CONNECTION,
  MAX_ARGS_PER_REQUEST,
  parseTopic,
  REST_PATH,
  symbolOfTopic,
  topicErrorMessage,
  topicFamily,
  topicsForSymbol,
  WARMUP,
} from '../src';

const known = (s: string): boolean => s === 'BTCUSDT';

describe('bybit wire contract', () => {
  test("when the analyzer asks for a symbol's topics, then it gets the eight in a fixed order, each naming the symbol", () => {
    const topics = topicsForSymbol('BTCUSDT');
    expect(topics).toEqual([
      'tickers.BTCUSDT',
      'orderbook.50.BTCUSDT',
      'publicTrade.BTCUSDT',
      'kline.1.BTCUSDT',
      'kline.5.BTCUSDT',
      'kline.30.BTCUSDT',
      'kline.240.BTCUSDT',
      'allLiquidation.BTCUSDT',
    ]);
    expect(topics.map(symbolOfTopic)).toEqual(Array(8).fill('BTCUSDT'));
    expect(topics.map(topicFamily)).toEqual(['tickers', 'orderbook', 'publicTrade', 'kline', 'kline', 'kline', 'kline', 'allLiquidation']);
  });

  test('when every topic the analyzer subscribes is parsed, then the parser accepts it as Bybit would', () => {
    for (const name of topicsForSymbol('BTCUSDT')) expect(parseTopic(name, known)).toMatchObject({ ok: true, topic: { name, symbol: 'BTCUSDT' } });
    expect(parseTopic('kline.240.BTCUSDT', known)).toMatchObject({ ok: true, topic: { kind: 'kline', interval: '240' } });
    expect(BOOK_DEPTHS.map((d) => parseTopic(`orderbook.${d}.BTCUSDT`, known).ok)).toEqual([true, true, true]);
  });

  test.each([
    ['orderbook.25.BTCUSDT', 'handler'],
    ['kline.15.BTCUSDT', 'handler'],
    ['tickers.BTC.USDT', 'handler'],
    ['trades.BTCUSDT', 'handler'],
    ['publicTrade.NOPEUSDT', 'symbol'],
  ] as const)("when %s is parsed, then it is refused for an unknown %s, with Bybit's message", (name, reason) => {
    expect(parseTopic(name, known)).toEqual({ ok: false, reason });
    expect(topicErrorMessage(name, reason)).toBe(reason === 'symbol' ? `Invalid symbol :[${name}]` : `error:handler not found,topic:${name}`);
  });

  test('when an interval is looked up, then its length is its minutes, and only the four used intervals exist', () => {
    expect(KLINE_INTERVALS.map((i) => INTERVAL_MS[i] / 60_000)).toEqual([1, 5, 30, 240]);
    expect(['1', '5', '30', '240', '15', 'D', ''].map(isKlineInterval)).toEqual([true, true, true, true, false, false, false]);
  });

  test('when the limits are read, then the args budget of one connection holds the topics of 25+ symbols, subscribed 10 at a time', () => {
    expect(MAX_ARGS_PER_REQUEST).toBe(10);
    const perSymbol = topicsForSymbol('1000000BABYDOGEUSDT').join('').length;
    expect(Math.floor(MAX_ARGS_CHARS_PER_CONNECTION / perSymbol)).toBeGreaterThan(25);
    expect(WARMUP.klineIntervals).toBe(KLINE_INTERVALS);
    expect(Object.values(REST_PATH).every((p) => p.startsWith('/v5/market/'))).toBe(true);
  });
});
