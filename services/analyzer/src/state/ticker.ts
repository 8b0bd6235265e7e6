import type { TickerState } from '@confluence/confluence';
import { TICKER_FIELDS, type TickerEvent, type TickerFields } from '../intake/events';

/** Ticker merged from a snapshot and the deltas after it (a delta carries only the fields that changed). */
export class TickerMerger {
  private fields: TickerFields = {};
  private lastTs = 0;
  private seen = false;
  private cached: TickerState | undefined;

  get hasData(): boolean {
    return this.seen;
  }

  get ts(): number {
    return this.lastTs;
  }

  /** Current value of any merged field (including ones TickerState does not expose, like bid1Size). */
  get(name: keyof TickerFields): number | undefined {
    return this.fields[name];
  }

  apply(ev: TickerEvent): void {
    // A delta older than what we have is dropped; a snapshot always replaces (Bybit re-sends one after a restart).
    if (ev.kind === 'delta' && ev.ts < this.lastTs) return;
    if (ev.kind === 'snapshot') this.fields = {};
    const src = ev.fields;
    const dst = this.fields;
    for (let i = 0; i < TICKER_FIELDS.length; i++) {
      const name = TICKER_FIELDS[i];
      const v = src[name];
      if (v !== undefined) dst[name] = v;
    }
    this.lastTs = ev.ts;
    this.seen = true;
    this.cached = undefined;
  }

  /** Built once per change and shared. */
  view(): TickerState | undefined {
    if (!this.seen) return undefined;
    if (this.cached) return this.cached;
    const f = this.fields;
    this.cached = {
      lastPrice: f.lastPrice,
      markPrice: f.markPrice,
      indexPrice: f.indexPrice,
      price24hPcnt: f.price24hPcnt,
      turnover24h: f.turnover24h,
      volume24h: f.volume24h,
      openInterest: f.openInterest,
      openInterestValue: f.openInterestValue,
      fundingRate: f.fundingRate,
      nextFundingTime: f.nextFundingTime,
      bid1Price: f.bid1Price,
      ask1Price: f.ask1Price,
      ts: this.lastTs,
    };
    return this.cached;
  }
}
