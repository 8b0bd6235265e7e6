import { mulberry32, type MarketSnapshot } from '@confluence/confluence';
import { TIMEFRAME_MS, TIMEFRAMES } from '@confluence/contracts';
import type { DataEvent } from '../../src/intake/events';
import { MarketStore, type StateLimits } from '../../src/state/market-store';

/**
 * A small seeded market fed into a real MarketStore event by event: trades, candle updates and closes on every
 * timeframe, book snapshots and deltas, tickers (with open interest), liquidations. Limits are small so candle
 * windows slide, trade buffers reallocate and trades expire within a few hundred steps.
 */
export class MarketFeed {
  readonly store: MarketStore;
  clock = 1_767_225_600_000;
  private readonly rnd: () => number;
  private price = new Map<string, number>();
  private u = 1;

  constructor(
    readonly symbols: readonly string[],
    seed: number,
    limits: Partial<StateLimits> = {
      candlesPerTimeframe: 24,
      tradesWindowMs: 20_000,
      openInterestMax: 12,
      spreadSamples: 10,
      spreadSampleMs: 1000,
      liquidationsWindowMs: 30_000,
    },
  ) {
    this.rnd = mulberry32(seed);
    this.store = new MarketStore({ now: () => this.clock, limits });
    for (const s of symbols) {
      this.store.add(s);
      this.price.set(s, 100 + this.rnd() * 50);
      this.store.apply(this.bookSnapshot(s));
    }
  }

  private bookSnapshot(symbol: string): DataEvent {
    const p = this.price.get(symbol) as number;
    const bids: number[] = [];
    const asks: number[] = [];
    for (let i = 0; i < 10; i++) {
      bids.push(+(p - 0.1 * (i + 1)).toFixed(2), +(1 + this.rnd() * 5).toFixed(3));
      asks.push(+(p + 0.1 * (i + 1)).toFixed(2), +(1 + this.rnd() * 5).toFixed(3));
    }
    return { type: 'book_snapshot', symbol, depth: 50, ts: this.clock, recvTs: this.clock, bids, asks, u: this.u++, seq: undefined };
  }

  /** Advances the market by `ms` in steps of 100 ms, a few events per symbol per step. */
  advance(ms: number): void {
    for (let t = 0; t < ms; t += 100) {
      this.clock += 100;
      for (const symbol of this.symbols) {
        if (this.rnd() < 0.5) continue;
        const p = (this.price.get(symbol) as number) * (1 + (this.rnd() - 0.5) * 0.002);
        this.price.set(symbol, p);
        const price = +p.toFixed(2);
        const ts = this.clock;
        const ev = (e: DataEvent) => this.store.apply(e);
        ev({ type: 'trade', symbol, ts, recvTs: ts, price, size: +(this.rnd() * 3).toFixed(3), side: this.rnd() < 0.5 ? 'Buy' : 'Sell', id: `${this.u++}` });
        for (const tf of TIMEFRAMES) {
          const len = TIMEFRAME_MS[tf] / (tf === '1m' ? 60 : tf === '5m' ? 120 : 3600);
          const start = Math.floor(ts / len) * len;
          const confirmed = this.rnd() < 0.02;
          ev({
            type: 'candle',
            symbol,
            timeframe: tf,
            ts,
            recvTs: ts,
            start,
            end: start + len - 1,
            open: price,
            high: price + 0.5,
            low: price - 0.5,
            close: price,
            volume: +(this.rnd() * 100).toFixed(2),
            turnover: +(this.rnd() * 1e4).toFixed(2),
            confirmed,
          });
        }
        if (this.rnd() < 0.3)
          ev({
            type: 'book_delta',
            symbol,
            depth: 50,
            ts,
            recvTs: ts,
            bids: [+(price - 0.05).toFixed(2), +(this.rnd() * 2).toFixed(3)],
            asks: [],
            u: this.u++,
            seq: undefined,
          });
        if (this.rnd() < 0.05) ev(this.bookSnapshot(symbol));
        if (this.rnd() < 0.3)
          ev({
            type: 'ticker',
            symbol,
            kind: 'delta',
            ts,
            recvTs: ts,
            fields: { lastPrice: price, bid1Price: price - 0.05, ask1Price: price + 0.05, openInterest: 1e6 + this.rnd() * 1e4, fundingRate: 0.0001 },
          });
        if (this.rnd() < 0.02) ev({ type: 'liquidation', symbol, ts, recvTs: ts, price, size: 1, side: 'Sell' });
      }
    }
  }

  snapshot(symbol: string): MarketSnapshot {
    return this.store.snapshot(symbol) as MarketSnapshot;
  }
}
