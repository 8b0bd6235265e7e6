// Market state "like the real thing" for the scoring and memory benchmarks, held in the analyzer's own
// MarketStore: what the analyzer's warm-up backfills (200 candles per timeframe, 200 open-interest points, 100
// long/short points, 50 funding points — the constants are taken from warmup.ts), a 50-level book, ~2,000 trades in
// the 15-minute window, a ticker and liquidations. `advance()` plays one market second
// (new trades, the forming candles move, book and ticker deltas), so every cycle scores changed snapshots.
import { TIMEFRAME_MS, TIMEFRAMES, type Timeframe } from '@confluence/contracts';
import type { Candle, FundingPoint, LongShortPoint, OpenInterestPoint } from '@confluence/confluence';
import {
  ACCOUNT_RATIO_BACKFILL,
  FUNDING_BACKFILL,
  KLINE_BACKFILL,
  MarketStore,
  OPEN_INTEREST_BACKFILL,
  type DataEvent,
  type ScoreSource,
} from '@confluence/analyzer';

export const TF_MS: Readonly<Record<Timeframe, number>> = TIMEFRAME_MS;
/** A fixed market start (2026-01-01T00:00:30Z) so runs are comparable. */
export const MARKET_START = 1_767_225_630_000;

import { mulberry32 as rng } from '@confluence/testkit';
export { rng };

export function symbolNames(n: number): string[] {
  const majors = ['BTCUSDT', 'ETHUSDT', 'SOLUSDT', 'XRPUSDT', 'DOGEUSDT'];
  return Array.from({ length: n }, (_, i) => (i < majors.length ? majors[i] : `SYM${i}USDT`));
}

interface SymState {
  symbol: string;
  tick: number;
  /** Last trade price in ticks. */
  px: number;
  /** Best bid in ticks (best ask = bid + 1). */
  bid: number;
  u: number;
  oi: number;
  buyBias: number;
  forming: Record<Timeframe, { start: number; open: number; high: number; low: number; close: number; volume: number }>;
  tradeId: number;
}

export interface MarketOptions {
  symbols: readonly string[];
  seed?: number;
  start?: number;
  candles?: number;
  trades?: number;
  bookLevels?: number;
  /** Trades per symbol per market second in `advance()` (mean). */
  tradesPerSecond?: number;
}

export class SyntheticMarket {
  readonly store: MarketStore;
  private clock: number;
  private readonly rnd: () => number;
  private readonly states: SymState[] = [];
  private readonly levels: number;
  private readonly tradesPerSecond: number;

  constructor(readonly opts: MarketOptions) {
    this.clock = opts.start ?? MARKET_START;
    this.rnd = rng(opts.seed ?? 1);
    this.levels = opts.bookLevels ?? 50;
    this.tradesPerSecond = opts.tradesPerSecond ?? 2.2;
    this.store = new MarketStore({ now: () => this.clock });
    opts.symbols.forEach((s, i) => {
      this.seed(s, i);
    });
  }

  now(): number {
    return this.clock;
  }

  /** Sets the market clock (for feeding the store from elsewhere, e.g. a frame replay). */
  setClock(ms: number): void {
    this.clock = ms;
  }

  /** The analyzer's ScoreSource over this store (what the intake provides in production). */
  source(): ScoreSource {
    const store = this.store;
    return {
      symbols: () => store.symbols(),
      snapshot: (s) => store.snapshot(s),
      symbolStatus: (s) => store.status(s),
    };
  }

  private seed(symbol: string, i: number): void {
    const r = this.rnd;
    const store = this.store;
    const price0 = 0.05 + ((i * 7919) % 9973) * (1 + (i % 7));
    const tick = 10 ** (Math.floor(Math.log10(price0)) - 4);
    const pxTicks = Math.round(price0 / tick);
    const now = this.clock;
    store.add(symbol);

    // REST backfill: candles per timeframe, a random walk ending at the current price.
    const n = this.opts.candles ?? KLINE_BACKFILL;
    const forming = {} as SymState['forming'];
    for (const tf of TIMEFRAMES) {
      const ms = TF_MS[tf];
      const formingStart = Math.floor(now / ms) * ms;
      const sigma = 0.0015 * Math.sqrt(ms / 60_000) * pxTicks;
      const closes: number[] = new Array(n);
      let x = pxTicks;
      for (let k = n - 1; k >= 0; k--) {
        closes[k] = Math.max(1, Math.round(x));
        x += (r() - 0.5) * 2 * sigma;
      }
      const candles: Candle[] = [];
      for (let k = 0; k < n; k++) {
        const close = closes[k];
        const open = k === 0 ? close : closes[k - 1];
        const wick = Math.round(r() * sigma * 0.5);
        const volume = Math.round(1000 * Math.sqrt(ms / 60_000) * (0.5 + r()));
        candles.push({
          start: formingStart - (n - 1 - k) * ms,
          open: open * tick,
          high: (Math.max(open, close) + wick) * tick,
          low: Math.max(1, Math.min(open, close) - wick) * tick,
          close: close * tick,
          volume,
          turnover: volume * close * tick,
          confirmed: k < n - 1,
        });
      }
      store.mergeCandles(symbol, tf, candles);
      const last = candles[n - 1];
      forming[tf] = { start: last.start, open: last.open / tick, high: last.high / tick, low: last.low / tick, close: last.close / tick, volume: last.volume };
    }

    const st: SymState = { symbol, tick, px: pxTicks, bid: pxTicks, u: 1000, oi: 1e6 * (1 + r()), buyBias: 0.4 + 0.2 * r(), forming, tradeId: 0 };
    this.states.push(st);

    // History series (REST), as many points as the warm-up fetches: 5-min open interest and long/short, 8-hourly funding.
    const oi: OpenInterestPoint[] = [];
    for (let k = OPEN_INTEREST_BACKFILL; k >= 1; k--)
      oi.push({ ts: Math.floor((now - k * 300_000) / 300_000) * 300_000, openInterest: st.oi * (1 + 0.02 * Math.sin(k / 20) + 0.005 * (r() - 0.5)) });
    store.mergeOpenInterest(symbol, oi);
    const funding: FundingPoint[] = [];
    for (let k = FUNDING_BACKFILL; k >= 1; k--)
      funding.push({ ts: Math.floor(now / 28_800_000) * 28_800_000 - k * 28_800_000, rate: 0.0001 * (1 + Math.sin(k / 7)) });
    store.mergeFunding(symbol, funding);
    const ls: LongShortPoint[] = [];
    for (let k = ACCOUNT_RATIO_BACKFILL; k >= 1; k--) {
      const b = 0.5 + 0.08 * Math.sin(k / 30) + 0.02 * (r() - 0.5);
      ls.push({ ts: Math.floor((now - k * 300_000) / 300_000) * 300_000, buyRatio: b, sellRatio: 1 - b });
    }
    store.mergeLongShort(symbol, ls);

    // Book snapshot (50 levels per side).
    this.apply(this.bookSnapshot(st, now));
    // Ticker snapshot.
    this.apply({
      type: 'ticker',
      symbol,
      kind: 'snapshot',
      ts: now,
      recvTs: now,
      fields: {
        lastPrice: pxTicks * tick,
        markPrice: pxTicks * tick,
        indexPrice: pxTicks * tick,
        price24hPcnt: (r() - 0.5) * 0.1,
        prevPrice24h: pxTicks * tick * (1 + (r() - 0.5) * 0.1),
        highPrice24h: pxTicks * tick * 1.05,
        lowPrice24h: pxTicks * tick * 0.95,
        prevPrice1h: pxTicks * tick * (1 + (r() - 0.5) * 0.02),
        turnover24h: 1e6 + r() * 1e9,
        volume24h: 1e5 + r() * 1e7,
        openInterest: st.oi,
        openInterestValue: st.oi * pxTicks * tick,
        fundingRate: 0.0001 * (r() - 0.3),
        nextFundingTime: Math.ceil(now / 28_800_000) * 28_800_000,
        bid1Price: st.bid * tick,
        bid1Size: 10 * r(),
        ask1Price: (st.bid + 1) * tick,
        ask1Size: 10 * r(),
      },
    });
    // ~2,000 trades over the last 15 minutes, ending at the current price.
    const nt = this.opts.trades ?? 2000;
    const span = 15 * 60_000 - 1000;
    let p = pxTicks - Math.round((r() - 0.5) * 40);
    for (let k = 0; k < nt; k++) {
      const ts = now - span + Math.floor(((k + 1) * span) / (nt + 1));
      p += Math.round((pxTicks - p) * 0.05 + (r() - 0.5) * 3);
      const side = r() < st.buyBias ? 'Buy' : 'Sell';
      this.apply({
        type: 'trade',
        symbol,
        ts,
        recvTs: ts,
        price: Math.max(1, p) * tick,
        size: Math.round((r() < 0.01 ? 50 : 0.1 + 3 * r() * r()) * 1000) / 1000,
        side,
        id: `t${++st.tradeId}`,
      });
    }
    for (let k = 0; k < 20; k++) {
      const ts = now - 3_000_000 + k * 150_000;
      this.apply({ type: 'liquidation', symbol, ts, recvTs: ts, price: pxTicks * tick, size: 1 + r() * 10, side: r() < 0.5 ? 'Buy' : 'Sell' });
    }
    store.setWarmup(symbol, 'done', true);
  }

  private bookSnapshot(st: SymState, ts: number): DataEvent {
    const r = this.rnd;
    const bids: number[] = [];
    const asks: number[] = [];
    for (let k = 0; k < this.levels; k++) {
      bids.push((st.bid - k) * st.tick, Math.round((1 + 20 * r()) * 1000) / 1000);
      asks.push((st.bid + 1 + k) * st.tick, Math.round((1 + 20 * r()) * 1000) / 1000);
    }
    st.u++;
    return { type: 'book_snapshot', symbol: st.symbol, depth: this.levels, ts, recvTs: ts, bids, asks, u: st.u, seq: st.u };
  }

  private apply(ev: DataEvent): void {
    this.store.apply(ev);
  }

  /** One market second for every symbol: trades, forming candles (rolling over at interval ends), book and ticker deltas. */
  advance(ms = 1000): void {
    const r = this.rnd;
    this.clock += ms;
    const now = this.clock;
    const tps = (this.tradesPerSecond * ms) / 1000;
    for (const st of this.states) {
      const { symbol, tick } = st;
      // Trades: about `tps` of them, the price moving a tick now and then.
      const count = Math.floor(tps) + (r() < tps - Math.floor(tps) ? 1 : 0);
      let vol = 0;
      for (let k = 0; k < count; k++) {
        const move = r();
        if (move < 0.15) st.bid++;
        else if (move < 0.3) st.bid = Math.max(this.levels + 2, st.bid - 1);
        const buy = r() < st.buyBias;
        st.px = buy ? st.bid + 1 : st.bid;
        const size = Math.round((0.1 + 3 * r() * r()) * 1000) / 1000;
        vol += size;
        const ts = now - ms + Math.floor(((k + 1) * ms) / (count + 1));
        this.apply({ type: 'trade', symbol, ts, recvTs: ts, price: st.px * tick, size, side: buy ? 'Buy' : 'Sell', id: `t${++st.tradeId}` });
      }
      // Candles: the forming one follows the last price; a new interval closes it and opens the next.
      for (const tf of TIMEFRAMES) {
        const step = TF_MS[tf];
        const f = st.forming[tf];
        const start = Math.floor(now / step) * step;
        if (start > f.start) {
          this.apply({
            type: 'candle',
            symbol,
            timeframe: tf,
            ts: now,
            recvTs: now,
            start: f.start,
            end: f.start + step - 1,
            open: f.open * tick,
            high: f.high * tick,
            low: f.low * tick,
            close: f.close * tick,
            volume: f.volume,
            turnover: f.volume * f.close * tick,
            confirmed: true,
          });
          st.forming[tf] = { start, open: f.close, high: f.close, low: f.close, close: f.close, volume: 0 };
        }
        const c = st.forming[tf];
        c.close = st.px;
        c.high = Math.max(c.high, st.px);
        c.low = Math.min(c.low, st.px);
        c.volume += vol;
        this.apply({
          type: 'candle',
          symbol,
          timeframe: tf,
          ts: now,
          recvTs: now,
          start: c.start,
          end: c.start + step - 1,
          open: c.open * tick,
          high: c.high * tick,
          low: c.low * tick,
          close: c.close * tick,
          volume: c.volume,
          turnover: c.volume * c.close * tick,
          confirmed: false,
        });
      }
      // Book: re-centre on the current touch now and then (a fresh snapshot, as after a resubscribe), otherwise size deltas.
      if (r() < 0.02) this.apply(this.bookSnapshot(st, now));
      else {
        const bids: number[] = [];
        const asks: number[] = [];
        for (let k = 0; k < 4; k++) {
          bids.push((st.bid - Math.floor(r() * 10)) * tick, Math.round((1 + 20 * r()) * 1000) / 1000);
          asks.push((st.bid + 1 + Math.floor(r() * 10)) * tick, Math.round((1 + 20 * r()) * 1000) / 1000);
        }
        // Make sure the touch exists at the current bid/ask and nothing crosses.
        bids.push(st.bid * tick, Math.round((1 + 5 * r()) * 1000) / 1000);
        asks.push((st.bid + 1) * tick, Math.round((1 + 5 * r()) * 1000) / 1000);
        for (let k = 1; k <= 3; k++) {
          asks.push((st.bid + 1 - k) * tick, 0);
          bids.push((st.bid + k) * tick, 0);
        }
        st.u++;
        this.apply({ type: 'book_delta', symbol, depth: this.levels, ts: now, recvTs: now, bids, asks, u: st.u, seq: st.u });
      }
      st.oi += (r() - 0.5) * st.oi * 0.0005;
      this.apply({
        type: 'ticker',
        symbol,
        kind: 'delta',
        ts: now,
        recvTs: now,
        fields: { lastPrice: st.px * tick, markPrice: st.px * tick, openInterest: st.oi, bid1Price: st.bid * tick, ask1Price: (st.bid + 1) * tick },
      });
    }
  }
}
