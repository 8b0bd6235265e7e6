import { TIMEFRAME_MS, TIMEFRAMES, type Timeframe } from '@confluence/contracts';
import {
  EMPTY_TRADES,
  tradeAt,
  tradeColumns,
  tradeCount,
  type BookLevel,
  type Candle,
  type Liquidation,
  type MarketSnapshot,
  type OpenInterestPoint,
  type Trade,
  type TradeColumns,
} from '@confluence/confluence';

export const TF_MS: Readonly<Record<Timeframe, number>> = TIMEFRAME_MS;
/** A fixed "now": 30 s into a minute. Prices are multiples of 1/64 around P0 so mirroring p → 2·P0 − p is exact in floating point. */
export const NOW = 1_764_000_000_000 + 30_000;
export const P0 = 1000;
export const TICK = 1 / 64;

import { mulberry32 as rng } from '@confluence/testkit';
export { rng };

export const tick = (p: number): number => Math.round(p / TICK) * TICK;

export function emptySnapshot(symbol = 'TESTUSDT'): MarketSnapshot {
  return {
    symbol,
    candles: { '1m': [], '5m': [], '30m': [], '4h': [] },
    book: undefined,
    trades: EMPTY_TRADES,
    ticker: undefined,
    funding: [],
    openInterest: [],
    longShort: [],
    liquidations: [],
    spreadHistoryBps: [],
  };
}

/** Candles from a list of closes (the last one forming unless `allConfirmed`), each open at the previous close. */
export function candlesFromCloses(
  tf: Timeframe,
  closes: readonly number[],
  opts: { now?: number; wick?: number; volume?: (i: number) => number; allConfirmed?: boolean } = {},
): Candle[] {
  const now = opts.now ?? NOW;
  const ms = TF_MS[tf];
  const formingStart = Math.floor(now / ms) * ms;
  const n = closes.length;
  const firstStart = opts.allConfirmed ? formingStart - n * ms : formingStart - (n - 1) * ms;
  const wick = opts.wick ?? 0;
  return closes.map((close, i) => {
    const open = i === 0 ? close : closes[i - 1];
    return {
      start: firstStart + i * ms,
      open,
      high: Math.max(open, close) + wick,
      low: Math.min(open, close) - wick,
      close,
      volume: opts.volume ? opts.volume(i) : 100,
      turnover: 0,
      confirmed: opts.allConfirmed ? true : i < n - 1,
    };
  });
}

export type Regime = 'up' | 'down' | 'range';

export interface MarketOptions {
  symbol?: string;
  seed?: number;
  now?: number;
  candles?: number;
  bookLevels?: number;
  trades?: number;
  /** Overrides of the regime's drift / flow parameters (for spread tests). */
  drift?: number;
  buyShare?: number;
  bookSkew?: number;
}

/** A synthetic market consistent with a regime on every input: candles on all timeframes, book, trades, OI, funding, ratio, liquidations. */
export function syntheticMarket(regime: Regime, o: MarketOptions = {}): MarketSnapshot {
  const r = rng(o.seed ?? 1);
  const now = o.now ?? NOW;
  const n = o.candles ?? 200;
  const sign = regime === 'up' ? 1 : regime === 'down' ? -1 : 0;
  const drift = o.drift ?? sign * 0.1;
  const buyShare = o.buyShare ?? 0.5 + sign * 0.12;
  const bookSkew = o.bookSkew ?? 1 + sign * 0.5;

  const candles = {} as Record<Timeframe, Candle[]>;
  for (const tf of TIMEFRAMES) {
    const scale = Math.sqrt(TF_MS[tf] / 60_000);
    const phase = r() * 6;
    const amp = regime === 'range' ? 1.5 * scale : 0.25 * scale;
    const closes: number[] = [];
    for (let i = 0; i < n; i++) {
      const back = n - 1 - i;
      const noise = back === 0 ? 0 : amp * Math.sin(i * 0.45 + phase) + 0.25 * scale * (r() - 0.5);
      closes.push(tick(P0 - drift * scale * back + noise - (back === 0 ? 0 : amp * Math.sin((n - 1) * 0.45 + phase))));
    }
    const c = candlesFromCloses(tf, closes, { now });
    candles[tf] = c.map((k) => {
      const up = k.close > k.open;
      const withTrend = sign === 0 ? 1 : (up ? 1 : -1) === sign ? 1.6 : 0.7;
      return {
        ...k,
        high: tick(k.high + r() * 0.2 * scale),
        low: tick(k.low - r() * 0.2 * scale),
        volume: Math.round(100 * scale * (0.6 + r()) * withTrend),
        turnover: 0,
      };
    });
  }

  const levels = o.bookLevels ?? 50;
  const bids: BookLevel[] = [];
  const asks: BookLevel[] = [];
  for (let i = 0; i < levels; i++) {
    bids.push([P0 - TICK - i * 4 * TICK, Math.round(10 * (0.5 + r()) * bookSkew * 1000) / 1000]);
    asks.push([P0 + TICK + i * 4 * TICK, Math.round(10 * (0.5 + r()) * (2 - bookSkew) * 1000) / 1000]);
  }

  const nt = o.trades ?? 2000;
  const trades: Trade[] = [];
  const span = 900_000;
  for (let i = 0; i < nt; i++) {
    const ts = now - span + Math.floor(((i + 1) * span) / (nt + 1));
    const back = (now - ts) / 60_000;
    const price = tick(P0 - drift * back + (regime === 'range' ? 0.8 * Math.sin(i / 40) : 0.05 * (r() - 0.5)));
    const big = r() < 0.01;
    const side: Trade['side'] = r() < buyShare ? 'Buy' : 'Sell';
    trades.push({ ts, price, size: Math.round((big ? 20 : 0.2 + 2 * r() * r()) * 1000) / 1000, side });
  }

  const oi: OpenInterestPoint[] = [];
  for (let i = 24; i >= 1; i--) oi.push({ ts: now - i * 300_000, openInterest: 1_000_000 * (1 + (regime === 'range' ? 0.0002 * Math.sin(i) : -0.002 * i)) });
  const liquidations: Liquidation[] = [];
  if (sign !== 0) for (let i = 0; i < 5; i++) liquidations.push({ ts: now - 600_000 + i * 60_000, price: P0, size: 2 + i, side: sign > 0 ? 'Sell' : 'Buy' });

  return {
    symbol: o.symbol ?? 'TESTUSDT',
    candles,
    book: { bids, asks, ts: now - 200, synced: true },
    trades: tradeColumns(trades),
    ticker: {
      lastPrice: P0,
      markPrice: P0,
      indexPrice: P0,
      price24hPcnt: sign * 0.02,
      turnover24h: 1e8,
      volume24h: 1e5,
      openInterest: 1_000_000 * (regime === 'range' ? 1 : 1.0005),
      openInterestValue: 1e9,
      fundingRate: 0.0001,
      nextFundingTime: now + 3_600_000,
      bid1Price: P0 - TICK,
      ask1Price: P0 + TICK,
      ts: now - 500,
    },
    funding: [{ ts: now - 8 * 3_600_000, rate: 0.0001 }],
    openInterest: oi,
    longShort: [{ ts: now - 300_000, buyRatio: 0.5 + sign * 0.04, sellRatio: 0.5 - sign * 0.04 }],
    liquidations,
    liquidationFeedLastEventAt: now - 60_000,
    fundingIntervalMinutes: 480,
    spreadHistoryBps: Array.from({ length: 60 }, (_, i) => 0.3 + 0.02 * Math.sin(i)),
  };
}

const mirrorPrice = (p: number, c: number): number => 2 * c - p;
const neg = (x: number | undefined): number | undefined => (x === undefined ? undefined : -x);
const flipSide = (side: 'Buy' | 'Sell'): 'Buy' | 'Sell' => (side === 'Buy' ? 'Sell' : 'Buy');

/** The trades mirrored around price c, sides swapped. */
function mirrorTrades(t: TradeColumns, c: number): TradeColumns {
  const out: Trade[] = [];
  for (let i = 0; i < tradeCount(t); i++) {
    const x = tradeAt(t, i)!;
    out.push({ ...x, price: mirrorPrice(x.price, c), side: flipSide(x.side) });
  }
  return tradeColumns(out);
}

/**
 * The same market reflected around price `c`: every price p → 2c − p (highs and lows swap), bids and asks swap,
 * buy and sell aggressors swap, funding is negated, the long/short ratio and liquidation sides swap. Open interest and sizes stay.
 */
export function mirrorSnapshot(s: MarketSnapshot, c = P0): MarketSnapshot {
  const candles = {} as Record<Timeframe, Candle[]>;
  for (const tf of TIMEFRAMES) {
    candles[tf] = s.candles[tf].map((k) => ({
      ...k,
      open: mirrorPrice(k.open, c),
      close: mirrorPrice(k.close, c),
      high: mirrorPrice(k.low, c),
      low: mirrorPrice(k.high, c),
    }));
  }
  const flip = (side: 'Buy' | 'Sell'): 'Buy' | 'Sell' => (side === 'Buy' ? 'Sell' : 'Buy');
  return {
    ...s,
    candles,
    bookHistory: s.bookHistory?.map((f) => ({
      ts: f.ts,
      depth: neg(f.depth),
      touch: neg(f.touch),
      band10: neg(f.band10),
      deep: neg(f.deep),
      walls: neg(f.walls),
    })),
    book: s.book && {
      ...s.book,
      bids: s.book.asks.map(([p, q]) => [mirrorPrice(p, c), q] as const),
      asks: s.book.bids.map(([p, q]) => [mirrorPrice(p, c), q] as const),
    },
    trades: mirrorTrades(s.trades, c),
    ticker: s.ticker && {
      ...s.ticker,
      lastPrice: s.ticker.lastPrice === undefined ? undefined : mirrorPrice(s.ticker.lastPrice, c),
      markPrice: s.ticker.markPrice === undefined ? undefined : mirrorPrice(s.ticker.markPrice, c),
      indexPrice: s.ticker.indexPrice === undefined ? undefined : mirrorPrice(s.ticker.indexPrice, c),
      price24hPcnt: s.ticker.price24hPcnt === undefined ? undefined : -s.ticker.price24hPcnt,
      fundingRate: s.ticker.fundingRate === undefined ? undefined : -s.ticker.fundingRate,
      bid1Price: s.ticker.ask1Price === undefined ? undefined : mirrorPrice(s.ticker.ask1Price, c),
      ask1Price: s.ticker.bid1Price === undefined ? undefined : mirrorPrice(s.ticker.bid1Price, c),
    },
    funding: s.funding.map((f) => ({ ...f, rate: -f.rate })),
    longShort: s.longShort.map((l) => ({ ...l, buyRatio: l.sellRatio, sellRatio: l.buyRatio })),
    liquidations: s.liquidations.map((l) => ({ ...l, price: mirrorPrice(l.price, c), side: flip(l.side) })),
  };
}
