// One orderbook.{depth}.{symbol} stream shared by all its subscribers. It remembers exactly what it
// last published, so a new subscriber's snapshot plus the following deltas always rebuild the
// model's book, and each delta carries only the levels that changed (size "0" deletes).
import type { Level } from './book';
import type { InstrumentSpec } from './instruments';
import type { SymbolMarket } from './symbol-market';
import { formatPrice, formatQty, type BookFrame, type PriceLevelWire } from './encoder';

/** Depth 1 re-sends an unchanged snapshot after this long, as Bybit does. */
const DEPTH1_RESEND_MS = 3000;

class PublishedSide {
  readonly ticks: Float64Array;
  readonly units: Float64Array;
  length = 0;

  constructor(capacity: number) {
    this.ticks = new Float64Array(capacity + 1);
    this.units = new Float64Array(capacity + 1);
  }

  copyFrom(levels: readonly Level[], depth: number): void {
    const n = Math.min(depth, levels.length);
    for (let i = 0; i < n; i++) {
      this.ticks[i] = levels[i].tick;
      this.units[i] = levels[i].units;
    }
    this.length = n;
  }

  toWire(spec: InstrumentSpec): PriceLevelWire[] {
    const out: PriceLevelWire[] = [];
    for (let i = 0; i < this.length; i++) out.push([formatPrice(spec, this.ticks[i]), formatQty(spec, this.units[i])]);
    return out;
  }

  /**
   * Appends the changes from the published levels to `next` (top `depth`) and adopts `next`.
   * `dir` is -1 for bids (descending prices), +1 for asks.
   */
  diffInto(next: readonly Level[], depth: number, dir: -1 | 1, spec: InstrumentSpec, out: PriceLevelWire[]): void {
    const n = Math.min(depth, next.length);
    let i = 0;
    let j = 0;
    while (i < this.length || j < n) {
      const order = i >= this.length ? 1 : j >= n ? -1 : (this.ticks[i] - next[j].tick) * dir;
      if (order < 0) {
        out.push([formatPrice(spec, this.ticks[i]), '0']);
        i++;
      } else if (order > 0) {
        out.push([formatPrice(spec, next[j].tick), formatQty(spec, next[j].units)]);
        j++;
      } else {
        if (this.units[i] !== next[j].units) out.push([formatPrice(spec, next[j].tick), formatQty(spec, next[j].units)]);
        i++;
        j++;
      }
    }
    this.copyFrom(next, depth);
  }

  /** Puts a level in front of the best one (used to publish a deliberately crossed book). */
  prepend(tick: number, units: number): void {
    this.ticks.copyWithin(1, 0, this.length);
    this.units.copyWithin(1, 0, this.length);
    this.ticks[0] = tick;
    this.units[0] = units;
    this.length++;
  }

  get bestTick(): number {
    return this.length > 0 ? this.ticks[0] : 0;
  }
}

export interface BookFaults {
  /** Skip one `u` before this delta. */
  readonly gap: boolean;
  /** Add a bid above the best ask to this delta. */
  readonly crossed: boolean;
}

export class BookStream {
  readonly snapshotOnly: boolean;
  private readonly bids: PublishedSide;
  private readonly asks: PublishedSide;
  private seq: number;
  private lastSentAt: number;

  constructor(
    private readonly market: SymbolMarket,
    readonly topic: string,
    readonly depth: number,
    /** Update id of the current published state. */
    public u: number,
    now: number,
  ) {
    this.snapshotOnly = depth === 1;
    this.bids = new PublishedSide(depth);
    this.asks = new PublishedSide(depth);
    this.bids.copyFrom(market.book.bids, depth);
    this.asks.copyFrom(market.book.asks, depth);
    this.seq = market.crossSeq;
    this.lastSentAt = now;
  }

  snapshotFrame(now: number): string {
    return this.frame('snapshot', this.bids.toWire(this.market.spec), this.asks.toWire(this.market.spec), now);
  }

  /**
   * Bybit's delisting / tick-size-change signal: a snapshot with u = 1 and no levels. The stream keeps counting
   * from 1, so a client that took it for a synced book would apply the deltas that follow to an empty book.
   */
  emptySnapshotFrame(now: number): string {
    this.u = 1;
    return this.frame('snapshot', [], [], now);
  }

  /** The frame to publish after a model step, or undefined when nothing changed. */
  update(now: number, faults: BookFaults): string | undefined {
    const spec = this.market.spec;
    const book = this.market.book;
    if (this.snapshotOnly) {
      const changed =
        this.bids.bestTick !== (book.bids[0]?.tick ?? 0) ||
        this.asks.bestTick !== (book.asks[0]?.tick ?? 0) ||
        this.bids.units[0] !== (book.bids[0]?.units ?? 0) ||
        this.asks.units[0] !== (book.asks[0]?.units ?? 0);
      if (!changed && now - this.lastSentAt < DEPTH1_RESEND_MS) return undefined;
      if (changed) {
        this.bids.copyFrom(book.bids, 1);
        this.asks.copyFrom(book.asks, 1);
        this.u++;
        this.seq = this.market.crossSeq;
      }
      this.lastSentAt = now;
      return this.snapshotFrame(now);
    }
    const b: PriceLevelWire[] = [];
    const a: PriceLevelWire[] = [];
    this.bids.diffInto(book.bids, this.depth, -1, spec, b);
    this.asks.diffInto(book.asks, this.depth, 1, spec, a);
    if (faults.crossed && this.asks.length > 0) {
      // The next regular delta deletes it again, because the model never held this level.
      const tick = this.asks.bestTick + 1;
      const units = Math.max(1, this.bids.units[0] || 1);
      this.bids.prepend(tick, units);
      const price = formatPrice(spec, tick);
      // When the market just fell, the regular diff may delete a bid at this very price; applied after the
      // crossing level it would undo it, so that entry goes (the crossing level is the final state of the price).
      const clash = b.findIndex((level) => level[0] === price);
      if (clash >= 0) b.splice(clash, 1);
      b.unshift([price, formatQty(spec, units)]);
    }
    if (b.length === 0 && a.length === 0) return undefined;
    this.u += faults.gap ? 2 : 1;
    this.seq = this.market.crossSeq;
    this.lastSentAt = now;
    return this.frame('delta', b, a, now);
  }

  private frame(type: 'snapshot' | 'delta', b: PriceLevelWire[], a: PriceLevelWire[], now: number): string {
    const frame: BookFrame = {
      topic: this.topic,
      type,
      ts: now,
      data: { s: this.market.symbol, b, a, u: this.u, seq: this.seq },
      cts: now - 1 - (this.u % 5),
    };
    return JSON.stringify(frame);
  }
}
