import type { BookFeatures, BookLevel, BookSnapshot, Candle, MarketSnapshot, TickerState, TradeColumns } from '@confluence/confluence';
import { EMPTY_TRADES } from '@confluence/confluence';
import { TIMEFRAMES, type Timeframe } from '@confluence/contracts';
import { CandleArena } from '../state/candles';
import { tradeBufferSlack } from '../state/trades';

/**
 * What changed in one symbol's market snapshot since the last one sent to a scoring worker, in a form that
 * structured clone copies cheaply: numbers in typed arrays, no store internals (a StoredCandle would drag its whole
 * arena along). A worker's `SnapshotMirror` applies it and gets back a snapshot equal, field for field, to the one
 * the main thread holds, so the engine scores the same numbers in either thread.
 *
 * Lists change at their ends almost always (the newest candle, a closed candle pushing the oldest out, a new open
 * interest point): a list is sent as "drop `drop` from the front, keep `keep`, append `add`", found by identity —
 * the store's views share their items until an item changes — and only when nothing lines up, in full.
 */
export interface ListDelta<T> {
  readonly drop: number;
  readonly keep: number;
  readonly add: readonly T[];
}

/** Candles as rows of CANDLE_FIELDS doubles: start, open, high, low, close, volume, turnover, confirmed (1/0). */
export interface CandleDelta {
  readonly drop: number;
  readonly keep: number;
  readonly add: Float64Array;
}

export interface TradeDelta {
  /** True: the mirror drops what it holds and takes `add` as the whole tape. */
  readonly reset: boolean;
  /** Trades expired at the front since the last delta (when not a reset). */
  readonly drop: number;
  readonly ts: Float64Array;
  readonly price: Float64Array;
  readonly size: Float64Array;
  readonly buy: Uint8Array;
}

export interface BookDelta {
  /** Price, size pairs, best first. */
  readonly bids: Float64Array;
  readonly asks: Float64Array;
  readonly ts: number;
  readonly synced: boolean;
}

export interface SnapshotDelta {
  readonly symbol: string;
  /** True: the mirror forgets everything it holds for the symbol first (every field below is then present). */
  readonly full: boolean;
  readonly candles: Partial<Record<Timeframe, CandleDelta>>;
  /** Absent: unchanged; null: no book. */
  readonly book?: BookDelta | null;
  readonly trades?: TradeDelta;
  /** Absent: unchanged; null: no ticker. */
  readonly ticker?: TickerState | null;
  readonly funding?: ListDelta<MarketSnapshot['funding'][number]>;
  readonly openInterest?: ListDelta<MarketSnapshot['openInterest'][number]>;
  readonly longShort?: ListDelta<MarketSnapshot['longShort'][number]>;
  readonly liquidations?: ListDelta<MarketSnapshot['liquidations'][number]>;
  readonly spreadHistoryBps?: ListDelta<number>;
  readonly bookHistory?: ListDelta<BookFeatures>;
  readonly fundingIntervalMinutes: number | undefined;
  readonly liquidationFeedLastEventAt: number | undefined;
}

export const CANDLE_FIELDS = 8;
const EMPTY: readonly never[] = [];

/**
 * How `next` follows from `prev`: `next` = prev.slice(drop, drop + keep) followed by next.slice(keep). `drop` is the
 * first position (up to 8 in) where prev holds next's first item (===), `keep` how far the two then agree; with no
 * such position, keep is 0 and all of `next` is sent. Correct whatever the items are (equal numbers only make the
 * kept run shorter); small for lists that change at their ends. Undefined when `next` is `prev`.
 */
export function listDelta<T>(prev: readonly T[], next: readonly T[]): { drop: number; keep: number } | undefined {
  if (prev === next) return undefined;
  if (next.length > 0) {
    const maxDrop = Math.min(8, prev.length - 1);
    for (let drop = 0; drop <= maxDrop; drop++) {
      if (prev[drop] !== next[0]) continue;
      const overlap = Math.min(prev.length - drop, next.length);
      let keep = 1;
      while (keep < overlap && prev[drop + keep] === next[keep]) keep++;
      return { drop, keep };
    }
  }
  return { drop: 0, keep: 0 };
}

function sendList<T>(prev: readonly T[], next: readonly T[], full: boolean): ListDelta<T> | undefined {
  if (full) return { drop: 0, keep: 0, add: next.slice() };
  const d = listDelta(prev, next);
  if (d === undefined) return undefined;
  return { drop: d.drop, keep: d.keep, add: next.slice(d.keep) };
}

/** Rebuilds a list from the previous one and a delta (see listDelta). */
export function applyList<T>(prev: readonly T[], d: ListDelta<T> | undefined): readonly T[] {
  if (d === undefined) return prev;
  if (d.keep === 0) return d.add.length === 0 ? EMPTY : d.add.slice();
  return prev.slice(d.drop, d.drop + d.keep).concat(d.add);
}

function encodeCandles(list: readonly Candle[], from: number): Float64Array {
  const n = list.length - from;
  const out = new Float64Array(n * CANDLE_FIELDS);
  for (let i = 0; i < n; i++) {
    const c = list[from + i];
    const at = i * CANDLE_FIELDS;
    out[at] = c.start;
    out[at + 1] = c.open;
    out[at + 2] = c.high;
    out[at + 3] = c.low;
    out[at + 4] = c.close;
    out[at + 5] = c.volume;
    out[at + 6] = c.turnover;
    out[at + 7] = c.confirmed ? 1 : 0;
  }
  return out;
}

function encodeLevels(levels: readonly BookLevel[]): Float64Array {
  const out = new Float64Array(levels.length * 2);
  for (let i = 0; i < levels.length; i++) {
    out[2 * i] = levels[i][0];
    out[2 * i + 1] = levels[i][1];
  }
  return out;
}

/** What one worker was last sent for one symbol: the store's own views, compared by identity next time. */
interface Sent {
  snapshot: MarketSnapshot;
}

/** Main-thread side: remembers what each symbol's mirror holds and sends only the difference. */
export class SnapshotEncoder {
  private readonly sent = new Map<string, Sent>();

  /** The delta that turns the mirror's copy into `snap`, or null when `snap` is exactly what was sent last. */
  encode(snap: MarketSnapshot): SnapshotDelta | null {
    const last = this.sent.get(snap.symbol);
    if (last !== undefined && last.snapshot === snap) return null;
    const prev = last?.snapshot;
    const full = prev === undefined;
    const candles: Partial<Record<Timeframe, CandleDelta>> = {};
    for (const tf of TIMEFRAMES) {
      const next = snap.candles[tf] ?? EMPTY;
      if (full) {
        candles[tf] = { drop: 0, keep: 0, add: encodeCandles(next, 0) };
        continue;
      }
      const d = listDelta(prev.candles[tf] ?? EMPTY, next);
      if (d !== undefined) candles[tf] = { drop: d.drop, keep: d.keep, add: encodeCandles(next, d.keep) };
    }
    const delta: {
      -readonly [K in keyof SnapshotDelta]: SnapshotDelta[K];
    } = {
      symbol: snap.symbol,
      full,
      candles,
      fundingIntervalMinutes: snap.fundingIntervalMinutes,
      liquidationFeedLastEventAt: snap.liquidationFeedLastEventAt,
    };
    if (full || prev.book !== snap.book) {
      const b = snap.book;
      delta.book = b === undefined ? null : { bids: encodeLevels(b.bids), asks: encodeLevels(b.asks), ts: b.ts, synced: b.synced };
    }
    if (full || prev.ticker !== snap.ticker) delta.ticker = snap.ticker ?? null;
    const trades = tradeDelta(full ? undefined : prev.trades, snap.trades);
    if (trades !== undefined) delta.trades = trades;
    const lists = ['funding', 'openInterest', 'longShort', 'liquidations', 'spreadHistoryBps', 'bookHistory'] as const;
    for (const k of lists) {
      const d = sendList<unknown>(full ? EMPTY : (prev[k] ?? EMPTY), snap[k] ?? EMPTY, full);
      if (d !== undefined) (delta as Record<string, unknown>)[k] = d;
    }
    this.sent.set(snap.symbol, { snapshot: snap });
    return delta;
  }

  /** The mirror lost the symbol (the worker restarted, or the symbol left): the next encode sends it in full. */
  forget(symbol: string): void {
    this.sent.delete(symbol);
  }

  clear(): void {
    this.sent.clear();
  }
}

function tradeDelta(prev: TradeColumns | undefined, next: TradeColumns): TradeDelta | undefined {
  if (prev === next) return undefined;
  // The store's columns are append-only between reallocations: same arrays, a head and a tail that only grow.
  if (prev !== undefined && prev.ts === next.ts && next.head >= prev.head && next.tail >= prev.tail) {
    if (next.head === prev.head && next.tail === prev.tail) return undefined;
    const from = Math.max(prev.tail, next.head);
    return {
      reset: false,
      drop: Math.min(next.head, prev.tail) - prev.head,
      ts: next.ts.slice(from, next.tail),
      price: next.price.slice(from, next.tail),
      size: next.size.slice(from, next.tail),
      buy: next.buy.slice(from, next.tail),
    };
  }
  return {
    reset: true,
    drop: 0,
    ts: next.ts.slice(next.head, next.tail),
    price: next.price.slice(next.head, next.tail),
    size: next.size.slice(next.head, next.tail),
    buy: next.buy.slice(next.head, next.tail),
  };
}

/** One timeframe's candles in a mirror: closed candles in an arena of their own (as the store keeps them). */
class MirrorCandles {
  private readonly arena = new CandleArena(32);
  list: readonly Candle[] = EMPTY;

  apply(d: CandleDelta): void {
    const out: Candle[] = d.keep === 0 ? [] : this.list.slice(d.drop, d.drop + d.keep);
    const a = d.add;
    const n = a.length / CANDLE_FIELDS;
    for (let i = 0; i < n; i++) {
      const at = i * CANDLE_FIELDS;
      if (a[at + 7] === 1) out.push(this.arena.store(a, at, out));
      else
        out.push({
          start: a[at],
          open: a[at + 1],
          high: a[at + 2],
          low: a[at + 3],
          close: a[at + 4],
          volume: a[at + 5],
          turnover: a[at + 6],
          confirmed: false,
        });
    }
    this.list = out;
  }
}

/** One symbol's trade tape in a mirror, append-only between reallocations like the store's. */
class MirrorTrades {
  private ts = new Float64Array(0);
  private price = new Float64Array(0);
  private size = new Float64Array(0);
  private buy = new Uint8Array(0);
  private head = 0;
  private tail = 0;
  view: TradeColumns = EMPTY_TRADES;

  apply(d: TradeDelta): void {
    if (d.reset) {
      this.head = 0;
      this.tail = 0;
    } else this.head += d.drop;
    const n = d.ts.length;
    if (this.tail + n > this.ts.length) this.reallocate(n);
    this.ts.set(d.ts, this.tail);
    this.price.set(d.price, this.tail);
    this.size.set(d.size, this.tail);
    this.buy.set(d.buy, this.tail);
    this.tail += n;
    this.view = this.tail === this.head ? EMPTY_TRADES : { ts: this.ts, price: this.price, size: this.size, buy: this.buy, head: this.head, tail: this.tail };
  }

  /** New arrays (views handed out earlier keep the old ones) holding the live trades and room for more. */
  private reallocate(incoming: number): void {
    const live = this.tail - this.head;
    const cap = live + incoming + tradeBufferSlack(live + incoming);
    const grow = <A extends Float64Array | Uint8Array>(old: A, fresh: A): A => {
      fresh.set(old.subarray(this.head, this.tail));
      return fresh;
    };
    this.ts = grow(this.ts, new Float64Array(cap));
    this.price = grow(this.price, new Float64Array(cap));
    this.size = grow(this.size, new Float64Array(cap));
    this.buy = grow(this.buy, new Uint8Array(cap));
    this.head = 0;
    this.tail = live;
  }
}

function decodeLevels(a: Float64Array): BookLevel[] {
  const out = new Array<BookLevel>(a.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = [a[2 * i], a[2 * i + 1]];
  return out;
}

/** Worker side: one symbol's snapshot rebuilt from the deltas the main thread sends. */
export class SnapshotMirror {
  private readonly candles = new Map<Timeframe, MirrorCandles>();
  private readonly trades = new MirrorTrades();
  private book: BookSnapshot | undefined;
  private ticker: TickerState | undefined;
  private lists: Pick<MarketSnapshot, 'funding' | 'openInterest' | 'longShort' | 'liquidations' | 'spreadHistoryBps'> & {
    bookHistory: readonly BookFeatures[];
  } = {
    funding: EMPTY,
    openInterest: EMPTY,
    longShort: EMPTY,
    liquidations: EMPTY,
    spreadHistoryBps: EMPTY,
    bookHistory: EMPTY,
  };
  snapshot: MarketSnapshot;

  constructor(readonly symbol: string) {
    for (const tf of TIMEFRAMES) this.candles.set(tf, new MirrorCandles());
    this.snapshot = this.build(undefined, undefined);
  }

  apply(d: SnapshotDelta): MarketSnapshot {
    for (const tf of TIMEFRAMES) {
      const c = d.candles[tf];
      if (c !== undefined) (this.candles.get(tf) as MirrorCandles).apply(c);
    }
    if (d.book !== undefined)
      this.book = d.book === null ? undefined : { bids: decodeLevels(d.book.bids), asks: decodeLevels(d.book.asks), ts: d.book.ts, synced: d.book.synced };
    if (d.ticker !== undefined) this.ticker = d.ticker ?? undefined;
    if (d.trades !== undefined) this.trades.apply(d.trades);
    const l = this.lists;
    this.lists = {
      funding: applyList(l.funding, d.funding),
      openInterest: applyList(l.openInterest, d.openInterest),
      longShort: applyList(l.longShort, d.longShort),
      liquidations: applyList(l.liquidations, d.liquidations),
      spreadHistoryBps: applyList(l.spreadHistoryBps, d.spreadHistoryBps),
      bookHistory: applyList(l.bookHistory, d.bookHistory),
    };
    this.snapshot = this.build(d.fundingIntervalMinutes, d.liquidationFeedLastEventAt);
    return this.snapshot;
  }

  private build(fundingIntervalMinutes: number | undefined, liquidationFeedLastEventAt: number | undefined): MarketSnapshot {
    const candles = {} as Record<Timeframe, readonly Candle[]>;
    for (const tf of TIMEFRAMES) candles[tf] = (this.candles.get(tf) as MirrorCandles).list;
    return {
      symbol: this.symbol,
      candles,
      book: this.book,
      trades: this.trades.view,
      ticker: this.ticker,
      ...this.lists,
      fundingIntervalMinutes,
      liquidationFeedLastEventAt,
    };
  }
}
