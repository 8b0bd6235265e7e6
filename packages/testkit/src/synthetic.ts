import { bookTopic, INTERVAL_MS, KLINE_INTERVALS, klineTopic, liquidationTopic, tickersTopic, tradeTopic } from '@confluence/bybit-wire';
import { mulberry32 } from '@confluence/confluence';

/**
 * Deterministic Bybit-format frames for benchmarks and tests: per symbol a book snapshot then valid deltas
 * (u + 1, never crossed), trades, ticker snapshot + deltas, klines for the four intervals and liquidations,
 * mixed roughly like a busy live stream (book deltas ≈ 45 %, trades ≈ 30 %, tickers ≈ 15 %, klines ≈ 8 %, liquidations ≈ 2 %).
 */
export interface SyntheticOptions {
  symbols: readonly string[];
  count: number;
  startTs: number;
  /** Exchange time between two frames (may be fractional; every `ts` is a whole millisecond). */
  stepMs?: number;
  seed?: number;
  /** Book levels per side in snapshots. */
  depth?: number;
}

interface SymState {
  symbol: string;
  tick: number;
  decimals: number;
  /** Best bid in ticks; best ask = bid + 1. */
  bidTick: number;
  home: number;
  u: number;
  seq: number;
  sentSnapshot: boolean;
  sentTicker: boolean;
  oi: number;
  tradeId: number;
  candleStart: Record<string, number>;
  candle: Record<string, { open: number; high: number; low: number; close: number; volume: number }>;
}

const INTERVALS = KLINE_INTERVALS;

export function* syntheticFrameStream(o: SyntheticOptions): Generator<string> {
  const rnd = mulberry32(o.seed ?? 42);
  const step = o.stepMs ?? 5;
  const depth = o.depth ?? 50;
  const states: SymState[] = o.symbols.map((symbol, i) => {
    const decimals = 1 + (i % 4);
    const tick = 10 ** -decimals;
    // At least 1,000 ticks from zero, so even the far side of the book at the walk's low stays positive.
    const home = 1_000 + ((i * 7919) % 50_000);
    return {
      symbol,
      tick,
      decimals,
      bidTick: home,
      home,
      u: 1000,
      seq: 1e9,
      sentSnapshot: false,
      sentTicker: false,
      oi: 1e6,
      tradeId: 0,
      candleStart: {},
      candle: {},
    };
  });
  const px = (s: SymState, ticks: number) => (ticks * s.tick).toFixed(s.decimals);
  const size = () => (1 + Math.floor(rnd() * 5000) / 100).toFixed(2);
  // Bybit stamps frames in whole milliseconds; a fractional step (a rate that does not divide a second) keeps its
  // exact pace in `clock` and stamps the millisecond it falls in, so several frames may share one `ts`.
  let clock = o.startTs;
  for (let n = 0; n < o.count; n++) {
    clock += step;
    const ts = Math.floor(clock);
    const s = states[Math.floor(rnd() * states.length)];
    const r = rnd();
    const topicBook = bookTopic(s.symbol);
    if (!s.sentSnapshot) {
      s.sentSnapshot = true;
      s.u++;
      const b: [string, string][] = [];
      const a: [string, string][] = [];
      for (let k = 0; k < depth; k++) {
        b.push([px(s, s.bidTick - k), size()]);
        a.push([px(s, s.bidTick + 1 + k), size()]);
      }
      yield JSON.stringify({ topic: topicBook, type: 'snapshot', ts, data: { s: s.symbol, b, a, u: s.u, seq: ++s.seq }, cts: ts - 2 });
    } else if (!s.sentTicker) {
      s.sentTicker = true;
      yield JSON.stringify({
        topic: tickersTopic(s.symbol),
        type: 'snapshot',
        data: {
          symbol: s.symbol,
          tickDirection: 'PlusTick',
          price24hPcnt: '0.0123',
          lastPrice: px(s, s.bidTick),
          prevPrice24h: px(s, s.bidTick - 50),
          highPrice24h: px(s, s.bidTick + 80),
          lowPrice24h: px(s, s.bidTick - 90),
          prevPrice1h: px(s, s.bidTick - 5),
          markPrice: px(s, s.bidTick),
          indexPrice: px(s, s.bidTick),
          openInterest: s.oi.toFixed(3),
          openInterestValue: (s.oi * s.bidTick * s.tick).toFixed(2),
          turnover24h: '123456789.1234',
          volume24h: '98765.432',
          nextFundingTime: String(Math.ceil(ts / 28_800_000) * 28_800_000),
          fundingRate: '0.0001',
          bid1Price: px(s, s.bidTick),
          bid1Size: size(),
          ask1Price: px(s, s.bidTick + 1),
          ask1Size: size(),
        },
        cs: ++s.seq,
        ts,
      });
    } else if (r < 0.45) {
      // Sizes change near the top; now and then the touch moves by one tick (delete on one side, insert on the other).
      s.u++;
      const b: [string, string][] = [];
      const a: [string, string][] = [];
      // Mean-reverting walk: the price stays within ±50 % of where it started (never near zero).
      const drift = s.bidTick > s.home * 1.5 ? -0.04 : s.bidTick < s.home * 0.5 ? 0.04 : 0;
      const pUp = 0.05 + drift;
      const pDown = 0.05 - drift;
      const moves = rnd();
      if (moves < pUp) {
        a.push([px(s, s.bidTick + 1), '0']);
        b.push([px(s, s.bidTick + 1), size()]);
        b.push([px(s, s.bidTick + 1 - depth), '0']);
        a.push([px(s, s.bidTick + 1 + depth), size()]);
        s.bidTick++;
      } else if (moves < pUp + pDown) {
        b.push([px(s, s.bidTick), '0']);
        a.push([px(s, s.bidTick), size()]);
        a.push([px(s, s.bidTick + depth), '0']);
        b.push([px(s, s.bidTick - depth), size()]);
        s.bidTick--;
      }
      const k = 1 + Math.floor(rnd() * 6);
      for (let i = 0; i < k; i++) {
        b.push([px(s, s.bidTick - 1 - Math.floor(rnd() * (depth - 2))), size()]);
        a.push([px(s, s.bidTick + 2 + Math.floor(rnd() * (depth - 2))), size()]);
      }
      yield JSON.stringify({ topic: topicBook, type: 'delta', ts, data: { s: s.symbol, b, a, u: s.u, seq: ++s.seq }, cts: ts - 2 });
    } else if (r < 0.75) {
      const k = 1 + Math.floor(rnd() * 3);
      const data = [];
      for (let i = 0; i < k; i++) {
        const buy = rnd() < 0.5;
        data.push({
          T: ts - 1,
          s: s.symbol,
          S: buy ? 'Buy' : 'Sell',
          v: size(),
          p: px(s, buy ? s.bidTick + 1 : s.bidTick),
          L: 'PlusTick',
          i: `t-${s.symbol}-${++s.tradeId}`,
          BT: false,
          seq: ++s.seq,
        });
      }
      yield JSON.stringify({ topic: tradeTopic(s.symbol), type: 'snapshot', ts, data });
    } else if (r < 0.9) {
      s.oi += (rnd() - 0.5) * 100;
      const data: Record<string, string> = { symbol: s.symbol, bid1Price: px(s, s.bidTick), bid1Size: size() };
      if (rnd() < 0.5) {
        data.ask1Price = px(s, s.bidTick + 1);
        data.ask1Size = size();
        data.lastPrice = px(s, s.bidTick);
        data.markPrice = px(s, s.bidTick);
        data.openInterest = s.oi.toFixed(3);
      }
      yield JSON.stringify({ topic: tickersTopic(s.symbol), type: 'delta', data, cs: ++s.seq, ts });
    } else if (r < 0.98) {
      const iv = INTERVALS[Math.floor(rnd() * INTERVALS.length)];
      const ivMs = INTERVAL_MS[iv];
      const start = Math.floor(ts / ivMs) * ivMs;
      const price = s.bidTick * s.tick;
      const data = [];
      const prevStart = s.candleStart[iv];
      if (prevStart !== undefined && prevStart < start) {
        const c = s.candle[iv];
        data.push(klineObj(prevStart, ivMs, iv, c, true, ts, s.decimals));
      }
      if (prevStart !== start) s.candle[iv] = { open: price, high: price, low: price, close: price, volume: 0 };
      s.candleStart[iv] = start;
      const c = s.candle[iv];
      c.close = price;
      c.high = Math.max(c.high, price);
      c.low = Math.min(c.low, price);
      c.volume += rnd() * 10;
      data.push(klineObj(start, ivMs, iv, c, false, ts, s.decimals));
      yield JSON.stringify({ topic: klineTopic(iv, s.symbol), data, ts, type: 'snapshot' });
    } else {
      yield JSON.stringify({
        topic: liquidationTopic(s.symbol),
        type: 'snapshot',
        ts,
        data: [{ T: ts - 3, s: s.symbol, S: rnd() < 0.5 ? 'Buy' : 'Sell', v: size(), p: px(s, s.bidTick) }],
      });
    }
  }
}

function klineObj(
  start: number,
  ivMs: number,
  interval: string,
  c: { open: number; high: number; low: number; close: number; volume: number },
  confirm: boolean,
  ts: number,
  decimals: number,
) {
  return {
    start,
    end: start + ivMs - 1,
    interval,
    open: c.open.toFixed(decimals),
    close: c.close.toFixed(decimals),
    high: c.high.toFixed(decimals),
    low: c.low.toFixed(decimals),
    volume: c.volume.toFixed(3),
    turnover: (c.volume * c.close).toFixed(4),
    confirm,
    timestamp: ts,
  };
}

export function syntheticFrames(o: SyntheticOptions): string[] {
  return [...syntheticFrameStream(o)];
}
