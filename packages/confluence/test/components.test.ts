import { createEngine, tradeColumns, type Candle, type MarketSnapshot, type Trade } from '@confluence/confluence';
import { findSwings } from '../src/swings';
import { candlesFromCloses, emptySnapshot, mirrorSnapshot, NOW, P0 } from './helpers/market';
import { component, sub } from './helpers/result';

const engine = () => createEngine();
const t = Math.tanh;

describe('order book component (hand-computed)', () => {
  // mid = (99.95 + 100.05)/2 = 100; spread 0.1 = 10 bps.
  const book = {
    bids: [
      [99.95, 3],
      [99.92, 1],
      [99.6, 2],
    ] as [number, number][],
    asks: [
      [100.05, 1],
      [100.08, 1],
      [100.4, 1],
    ] as [number, number][],
    ts: NOW - 100,
    synced: true,
  };
  const snap: MarketSnapshot = { ...emptySnapshot(), book };

  it('when the book leans bid, then each sub-signal and the damped component match the arithmetic', () => {
    const r = engine().score(snap, NOW);
    // depth: Σ bid/(i+1) = 3 + 1/2 + 2/3 = 4.1667, Σ ask = 1 + 1/2 + 1/3 = 1.8333 → raw = 2.3333/6 = 0.38889 → 50 + 50·raw = 69.44
    expect(sub(r, 'orderbook', 'depthImbalance').raw).toBeCloseTo(0.388889, 5);
    expect(sub(r, 'orderbook', 'depthImbalance').score).toBe(69.4);
    // touch: (3 − 1)/(3 + 1) = 0.5 → 50 + 40·0.5 = 70
    expect(sub(r, 'orderbook', 'topImbalance').score).toBe(70);
    // ±0.1 % = 99.9..100.1: bids 3 + 1 = 4, asks 1 + 1 = 2 → 1/3 → 66.67
    expect(sub(r, 'orderbook', 'depthBand10bps').score).toBe(66.7);
    // three levels a side: nothing beyond the top 10, so the deep-book measure has no data (not a neutral 50)
    expect(sub(r, 'orderbook', 'deepBook').score).toBeNull();
    expect(sub(r, 'orderbook', 'deepBook').reason).toBe('needs more than 10 levels a side, has 3/3');
    // 6 levels, mean size 9/6 = 1.5, wall threshold 4·1.5 = 6: no wall → 50
    expect(sub(r, 'orderbook', 'walls').score).toBe(50);
    expect(sub(r, 'orderbook', 'absorption').score).toBeNull();
    expect(sub(r, 'orderbook', 'absorption').reason).toBe('no trades in the last 60 s');
    // weighted over the available (absorption, deep book missing): (.3·69.444 + .1·70 + .15·66.667 + .15·50)/.7 = 64.762;
    // spread 10 bps → factor 1 − 0.5·(10 − 5)/45 = 0.94444 → 50 + 14.762·0.94444 = 63.94
    expect(component(r, 'orderbook').score).toBe(63.9);
    expect(sub(r, 'orderbook', 'spread').raw).toBeCloseTo(10, 6);
    expect(sub(r, 'orderbook', 'spread').weight).toBe(0);
    // Contributions include the damping, so they add up to the component score.
    const sum = component(r, 'orderbook').subSignals.reduce((a, s) => a + (s.contribution ?? 0), 0);
    expect(sum).toBeCloseTo(63.94, 1);
  });

  it('when the top 10 levels are balanced but the levels behind them lean bid, then only the deep-book measure sees it', () => {
    // 12 levels a side, 0.01 apart from 99.99 / 100.01: the top 10 hold 1 lot each side; levels 11–12 hold 5 + 5 bid vs 1 + 1 ask.
    const side = (start: number, step: number, deep: number) => Array.from({ length: 12 }, (_, i) => [start + i * step, i < 10 ? 1 : deep] as [number, number]);
    const deepBook = { bids: side(99.99, -0.01, 5), asks: side(100.01, 0.01, 1), ts: NOW - 100, synced: true };
    const r = engine().score({ ...snap, book: deepBook }, NOW);
    expect(sub(r, 'orderbook', 'depthImbalance').score).toBe(50);
    expect(sub(r, 'orderbook', 'topImbalance').score).toBe(50);
    // deep: (10 − 2)/(10 + 2) = 0.6667 → 50 + 50·0.6667 = 83.3
    expect(sub(r, 'orderbook', 'deepBook').raw).toBeCloseTo(2 / 3, 5);
    expect(sub(r, 'orderbook', 'deepBook').score).toBe(83.3);
  });

  it('when a wall sits near the touch, then the wall signal points its way', () => {
    // Levels within ±0.5 %: sizes 1,1,20 (bid) and 1,1,1 → mean 25/6 = 4.17, threshold 16.7: the 20 lot at 99.9 is a wall.
    const walled = {
      ...book,
      bids: [
        [99.95, 1],
        [99.92, 1],
        [99.9, 20],
      ] as [number, number][],
      asks: [
        [100.05, 1],
        [100.08, 1],
        [100.4, 1],
      ] as [number, number][],
    };
    const r = engine().score({ ...snap, book: walled }, NOW);
    // only a bid wall → raw = 1 → 50 + 40 = 90
    expect(sub(r, 'orderbook', 'walls').score).toBe(90);
  });

  it('when trades fill at the touch, then absorption compares sells soaked by bids with buys soaked by asks', () => {
    const trades: Trade[] = [
      { ts: NOW - 30_000, price: 99.95, size: 3, side: 'Sell' }, // at the bid: absorbed sell
      { ts: NOW - 20_000, price: 100.05, size: 1, side: 'Buy' }, // at the ask: absorbed buy
      { ts: NOW - 10_000, price: 100.2, size: 4, side: 'Buy' }, // away from the touch
    ];
    const r = engine().score({ ...snap, trades: tradeColumns(trades) }, NOW);
    // raw = (3 − 1)/8 = 0.25 → 50 + 50·tanh(0.5) = 73.11
    expect(sub(r, 'orderbook', 'absorption').raw).toBeCloseTo(0.25, 10);
    expect(sub(r, 'orderbook', 'absorption').score).toBeCloseTo(50 + 50 * t(0.5), 1);
  });

  it('when the book is resyncing, then the whole component is null with that reason', () => {
    const r = engine().score({ ...snap, book: { ...book, synced: false } }, NOW);
    expect(component(r, 'orderbook').score).toBeNull();
    expect(component(r, 'orderbook').reason).toBe('order book resyncing');
    expect(component(r, 'orderbook').effectiveWeight).toBe(0);
  });

  it('when one side is empty or the book is missing, then the component is null with a reason', () => {
    expect(component(engine().score({ ...snap, book: { ...book, asks: [] } }, NOW), 'orderbook').reason).toBe('order book has an empty side');
    expect(component(engine().score(emptySnapshot(), NOW), 'orderbook').reason).toBe('no order book');
  });
});

function trade(back: number, side: Trade['side'], size = 1, price = 1000): Trade {
  return { ts: NOW - back, price, size, side };
}

describe('order-flow component (hand-computed)', () => {
  it('when 20 of 30 equal trades are buys, then CVD trend = 50 + 50·tanh(2·(10/30)) = 79.14', () => {
    const trades = Array.from({ length: 30 }, (_, i) => trade(800_000 - i * 20_000, i % 3 === 0 ? 'Sell' : 'Buy'));
    const r = engine().score({ ...emptySnapshot(), trades: tradeColumns(trades) }, NOW);
    expect(sub(r, 'orderflow', 'cvdTrend').raw).toBeCloseTo(1 / 3, 5);
    expect(sub(r, 'orderflow', 'cvdTrend').score).toBe(79.1);
  });

  it('when one large buy meets many small sells, then large-trade pressure = tanh((21/40)/0.15) → 99.9', () => {
    // 19 sells of 1 and one buy of 21: mean 40/20 = 2, threshold 8 → large buy 21 of 40 → raw 0.525
    const trades = [...Array.from({ length: 19 }, (_, i) => trade(600_000 - i * 10_000, 'Sell')), trade(5_000, 'Buy', 21)];
    const r = engine().score({ ...emptySnapshot(), trades: tradeColumns(trades) }, NOW);
    expect(sub(r, 'orderflow', 'largeTrades').raw).toBeCloseTo(0.525, 10);
    expect(sub(r, 'orderflow', 'largeTrades').score).toBe(99.9);
  });

  it('when the last minute is all buying after older selling, then aggressor imbalance = 50 + 50·tanh(1.5·(0.7·1 + 0.3·(1 − 0))) = 95.26', () => {
    // last 60 s: 5 buys → r = 1; 5 min: 5 buys + 5 sells → l = 0
    const trades = [
      ...Array.from({ length: 5 }, (_, i) => trade(200_000 - i * 10_000, 'Sell')),
      ...Array.from({ length: 5 }, (_, i) => trade(50_000 - i * 10_000, 'Buy')),
    ];
    const r = engine().score({ ...emptySnapshot(), trades: tradeColumns(trades) }, NOW);
    expect(sub(r, 'orderflow', 'aggressorImbalance').score).toBe(95.3);
  });

  it('when CVD and price agree or diverge, then cvdPrice follows √(|c|·|p|) or (c − p)/4', () => {
    // 10 trades over the last 5 min, price 1000 → 1001; without 1m candles the move is scaled by half the range:
    // p = tanh(1/0.5) = 0.96403. All buys: c = 1 → g = √0.96403 = 0.98185 → 99.09. All sells: g = (−1 − 0.96403)/4 = −0.49101 → 25.45 (rounds to 25.4).
    const mk = (side: Trade['side']) => Array.from({ length: 10 }, (_, i) => trade(290_000 - i * 30_000, side, 1, 1000 + (i === 9 ? 1 : i / 9)));
    const agree = engine().score({ ...emptySnapshot(), trades: tradeColumns(mk('Buy')) }, NOW);
    expect(sub(agree, 'orderflow', 'cvdPrice').raw).toBeCloseTo(Math.sqrt(t(2)), 5);
    expect(sub(agree, 'orderflow', 'cvdPrice').score).toBe(99.1);
    const diverge = engine().score({ ...emptySnapshot(), trades: tradeColumns(mk('Sell')) }, NOW);
    expect(sub(diverge, 'orderflow', 'cvdPrice').raw).toBeCloseTo((-1 - t(2)) / 4, 5);
    expect(sub(diverge, 'orderflow', 'cvdPrice').score).toBe(25.4);
  });

  describe('open interest vs price: the four scenarios', () => {
    // Price rises 1000 → 1004 over 30 1m candles; OI moves ±0.5 % over the last 15 min (o = ±tanh(1)).
    const closes = Array.from({ length: 30 }, (_, i) => 1000 + (i >= 10 ? (i - 10) * 0.2 : 0));
    const rising: MarketSnapshot = { ...emptySnapshot(), candles: { ...emptySnapshot().candles, '1m': candlesFromCloses('1m', closes, { wick: 0.5 }) } };
    const falling = mirrorSnapshot(rising, 1002);
    const withOi = (s: MarketSnapshot, to: number): MarketSnapshot => ({
      ...s,
      openInterest: [
        { ts: NOW - 20 * 60_000, openInterest: 1000 },
        { ts: NOW - 15 * 60_000, openInterest: 1000 },
        { ts: NOW - 1_000, openInterest: to },
      ],
    });
    const score = (s: MarketSnapshot) => sub(engine().score(s, NOW), 'orderflow', 'oiPrice').score as number;
    const newLongs = score(withOi(rising, 1005));
    const newShorts = score(withOi(falling, 1005));
    const covering = score(withOi(rising, 995));
    const liquidation = score(withOi(falling, 995));

    it('when OI rises with price, then bullish new longs; with falling price, bearish new shorts', () => {
      expect(newLongs).toBeGreaterThan(60);
      expect(newShorts).toBeLessThan(40);
      expect(newLongs - 50).toBeCloseTo(50 - newShorts, 1);
    });

    it('when OI falls, then short covering is mildly bullish and long liquidation mildly bearish: half the push of new positions', () => {
      expect(covering).toBeGreaterThan(50);
      expect(liquidation).toBeLessThan(50);
      // same |ΔOI| → |o| equal → g halves exactly (up to rounding of the scores)
      expect(covering - 50).toBeCloseTo((newLongs - 50) / 2, 0);
      expect(50 - liquidation).toBeCloseTo((50 - newShorts) / 2, 0);
    });

    it('when there is no open-interest history, then oiPrice is null with a reason', () => {
      const r = engine().score(rising, NOW);
      expect(sub(r, 'orderflow', 'oiPrice').score).toBeNull();
      expect(sub(r, 'orderflow', 'oiPrice').reason).toBe('no open interest data');
    });
  });

  it('when there are no trades, then the trade-based signals are null with reason "no trades"', () => {
    const r = engine().score(emptySnapshot(), NOW);
    for (const n of ['cvdTrend', 'cvdPrice', 'aggressorImbalance']) expect(sub(r, 'orderflow', n).reason).toBe('no trades');
    expect(sub(r, 'orderflow', 'largeTrades').reason).toBe('needs 20 trades in the last 15 min, has 0');
  });
});

describe('sentiment component (hand-computed)', () => {
  it('when funding, long/short and liquidations are set, then each follows its mapping', () => {
    const s: MarketSnapshot = {
      ...emptySnapshot(),
      funding: [{ ts: NOW - 3_600_000, rate: 0.0005 }],
      longShort: [{ ts: NOW - 60_000, buyRatio: 0.7, sellRatio: 0.3 }],
      liquidations: [
        { ts: NOW - 3_600_000, price: P0, size: 100, side: 'Buy' }, // older than 15 min: ignored
        { ts: NOW - 60_000, price: P0, size: 3, side: 'Sell' },
        { ts: NOW - 30_000, price: P0, size: 1, side: 'Buy' },
      ],
    };
    const r = engine().score(s, NOW);
    // funding 0.05 %: 50 − 40·tanh((0.0005 − 0.0001)/0.001) = 50 − 40·tanh(0.4) = 34.80
    expect(sub(r, 'sentiment', 'funding').score).toBe(34.8);
    // 70/30: x = 0.4 → 50 − 40·tanh((0.4 − 0.2)/0.4) = 50 − 40·tanh(0.5) = 31.52
    expect(sub(r, 'sentiment', 'longShort').score).toBe(31.5);
    // shorts 3 vs longs 1 liquidated, no trades → magnitude 1: 50 + 40·(2/4) = 70
    expect(sub(r, 'sentiment', 'liquidations').score).toBe(70);
    expect(sub(r, 'sentiment', 'oiActivity').score).toBeNull();
    // (.35·34.80 + .25·31.52 + .2·70)/.8 = (12.18 + 7.88 + 14)/.8 = 42.58
    expect(component(r, 'sentiment').score).toBe(42.6);
  });

  it('when the live ticker has a funding rate, then it wins over the REST history; ±0.01 % is neutral', () => {
    const s: MarketSnapshot = { ...emptySnapshot(), funding: [{ ts: 0, rate: 0.003 }], ticker: { ...tickerAt(NOW), fundingRate: -0.0001 } };
    expect(sub(engine().score(s, NOW), 'sentiment', 'funding').score).toBe(50);
  });
});

function tickerAt(ts: number) {
  return {
    lastPrice: P0,
    markPrice: P0,
    indexPrice: P0,
    price24hPcnt: 0,
    turnover24h: 1,
    volume24h: 1,
    openInterest: undefined,
    openInterestValue: undefined,
    fundingRate: undefined,
    nextFundingTime: undefined,
    bid1Price: undefined,
    ask1Price: undefined,
    ts,
  };
}

describe('volume component (hand-computed)', () => {
  // 21 confirmed 5m candles: a flat one, then [up, up, up, down] × 5. Up candles close at their high with volume 10
  // (money-flow multiplier +1), down candles close at their low with volume 20 (multiplier −1).
  const candles: Candle[] = [];
  let close = 1000;
  const start = Math.floor(NOW / 300_000) * 300_000 - 21 * 300_000;
  candles.push({ start, open: close, high: close + 0.5, low: close - 0.5, close, volume: 10, turnover: 0, confirmed: true });
  for (let i = 0; i < 20; i++) {
    const up = i % 4 !== 3;
    const open = close;
    close = up ? close + 1 : close - 1;
    candles.push({
      start: start + (i + 1) * 300_000,
      open,
      high: Math.max(open, close),
      low: Math.min(open, close),
      close,
      volume: up ? 10 : 20,
      turnover: 0,
      confirmed: true,
    });
  }
  const r = createEngine().score({ ...emptySnapshot(), candles: { ...emptySnapshot().candles, '5m': candles } }, NOW);

  it('when 15 up candles of 10 and 5 down candles of 20 make the window, then OBV trend = (150 − 100)/250 = 0.2 → 60', () => {
    expect(sub(r, 'volume', 'obvTrend').raw).toBeCloseTo(0.2, 12);
    expect(sub(r, 'volume', 'obvTrend').score).toBe(60);
  });

  it('when the same candles feed CMF(20), then CMF = (15·10 − 5·20)/250 = 0.2 → 50 + 50·tanh(0.8) = 83.20', () => {
    expect(sub(r, 'volume', 'cmf').raw).toBeCloseTo(0.2, 12);
    expect(sub(r, 'volume', 'cmf').score).toBe(83.2);
  });

  it('when fewer than 23 confirmed candles exist, then relative volume says how many it needs; without trades volume delta is null', () => {
    expect(sub(r, 'volume', 'relativeVolume').reason).toBe('needs 23 confirmed candles on 5m, has 21');
    expect(sub(r, 'volume', 'volumeDelta').reason).toBe('no trades');
    expect(sub(r, 'volume', 'vwapPosition').score as number).toBeGreaterThan(50); // rising prices close above their VWAP
  });
});

describe('structure component (hand-computed)', () => {
  it('when highs and lows zigzag upwards, then swings are found by the 2-bar fractal rule', () => {
    // highs: 10 11 13 12 11 12 14 16 15 14 15 17 18 ; lows = highs − 2
    const highs = [10, 11, 13, 12, 11, 12, 14, 16, 15, 14, 15, 17, 18];
    const cs = highs.map((h, i) => ({ start: i, open: h - 1, high: h, low: h - 2, close: h - 1, volume: 1, turnover: 0, confirmed: true }));
    const s = findSwings(cs, cs.length);
    // swing highs: 13 (i = 2: > 10, 11 and ≥ 12, 11) and 16 (i = 7); swing lows: 9 (i = 4) and 12 (i = 9)
    expect(s.highs.map((p) => p.price)).toEqual([13, 16]);
    expect(s.lows.map((p) => p.price)).toEqual([9, 12]);
  });

  it('when the swings rise and the close breaks the last swing high, then market structure = 0.6·1 + 0.4·1 → 100; inside the range → 80', () => {
    const highs = [10, 11, 13, 12, 11, 12, 14, 16, 15, 14, 15, 17, 18];
    const mk = (lastClose: number): Candle[] => {
      const cs = highs.map((h, i) => ({
        start: Math.floor(NOW / 60_000) * 60_000 - (highs.length - 1 - i) * 60_000,
        open: h - 1,
        high: h,
        low: h - 2,
        close: h - 1,
        volume: 1,
        turnover: 0,
        confirmed: true,
      }));
      cs.push({ ...cs[cs.length - 1], start: cs[cs.length - 1].start + 60_000, close: lastClose, high: Math.max(lastClose, 17), low: 16, confirmed: false });
      return cs;
    };
    const score = (c: number) =>
      sub(
        createEngine().score({ ...emptySnapshot(), candles: { ...emptySnapshot().candles, '1m': mk(c) } }, NOW + 60_000),
        'structure',
        'marketStructure',
        '1m',
      );
    expect(score(17).score).toBe(100); // 17 > last swing high 16
    expect(score(15).score).toBe(80); // between 12 and 16
    expect(score(15).raw).toBeCloseTo(0.6, 12);
  });

  it('when a timeframe has too few candles, then its structure signals say what they need', () => {
    const r = createEngine().score(
      {
        ...emptySnapshot(),
        candles: {
          ...emptySnapshot().candles,
          '30m': candlesFromCloses(
            '30m',
            [1, 2, 3, 4, 5, 6].map((x) => 1000 + x),
          ),
        },
      },
      NOW,
    );
    expect(sub(r, 'structure', 'emaPosition', '30m').reason).toBe('needs 50 candles on 30m, has 6');
    expect(sub(r, 'structure', 'marketStructure', '30m').reason).toBe('needs 2 swing highs and 2 swing lows on 30m, has 0/0');
    expect(sub(r, 'structure', 'rangePosition', '30m').reason).toBe('needs 20 candles on 30m, has 6');
  });
});

describe('technical component', () => {
  it('when 5m has 12 candles, then MACD says "needs 34 candles on 5m, has 12" and RSI is null too', () => {
    const r = createEngine().score(
      {
        ...emptySnapshot(),
        candles: {
          ...emptySnapshot().candles,
          '5m': candlesFromCloses(
            '5m',
            Array.from({ length: 12 }, (_, i) => 1000 + i),
          ),
        },
      },
      NOW,
    );
    expect(sub(r, 'technical', 'macd', '5m').reason).toBe('needs 34 candles on 5m, has 12');
    expect(sub(r, 'technical', 'rsi', '5m').reason).toBe('needs 15 candles on 5m, has 12');
    expect(component(r, 'technical').score).toBeNull();
    expect(component(r, 'technical').reason).toMatch(/^no technical indicator available: needs 15 candles on 1m, has 0/);
  });

  it('when prices only rise, then every oscillator is bullish, with RSI 100 damped to 70 and the weights being sub × timeframe', () => {
    const closes = Array.from({ length: 60 }, (_, i) => 1000 + i);
    const r = createEngine().score({ ...emptySnapshot(), candles: { ...emptySnapshot().candles, '1m': candlesFromCloses('1m', closes, { wick: 0.25 }) } }, NOW);
    expect(sub(r, 'technical', 'rsi', '1m').raw).toBe(100);
    expect(sub(r, 'technical', 'rsi', '1m').score).toBe(70); // 80 − 0.5·(100 − 80)
    expect(sub(r, 'technical', 'rsi', '1m').weight).toBeCloseTo(0.2 * 0.4, 12);
    for (const n of ['macd', 'ao', 'williamsR', 'cci', 'adx']) expect(sub(r, 'technical', n, '1m').score as number).toBeGreaterThan(60);
  });

  it('when prices are flat, then undefined oscillators score 50 instead of their degenerate library values', () => {
    const r = createEngine().score(
      {
        ...emptySnapshot(),
        candles: {
          ...emptySnapshot().candles,
          '1m': candlesFromCloses(
            '1m',
            Array.from({ length: 60 }, () => 1000),
          ),
        },
      },
      NOW,
    );
    for (const n of ['rsi', 'macd', 'ao', 'williamsR', 'cci', 'adx']) expect(sub(r, 'technical', n, '1m').score).toBe(50);
    expect(sub(r, 'technical', 'rsi', '1m').reason).toBe('flat closes: RSI undefined → 50');
  });
});
