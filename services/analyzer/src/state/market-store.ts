import { TIMEFRAMES, type Timeframe } from '@confluence/contracts';
import {
  BOOK_SMOOTHING_SAMPLES,
  bookFeaturesOf,
  type BookFeatures,
  type Candle,
  type FundingPoint,
  type LongShortPoint,
  type MarketSnapshot,
  type OpenInterestPoint,
} from '@confluence/confluence';
import { TIMEFRAME_MS, type CandleEvent, type DataEvent } from '../intake/events';
import { CANDLES_PER_TIMEFRAME, CandleSeries } from './candles';
import { OrderBook, type BookUnsyncedReason } from './order-book';
import { Ring } from './ring';
import { TimeSeries } from './series';
import { TickerMerger } from './ticker';
import { LIQUIDATIONS_MAX, LIQUIDATIONS_WINDOW_MS, LiquidationWindow, TRADES_MAX, TRADES_WINDOW_MS, TradeWindow } from './trades';

export interface StateLimits {
  bookDepth: number;
  candlesPerTimeframe: number;
  tradesWindowMs: number;
  tradesMax: number;
  liquidationsWindowMs: number;
  liquidationsMax: number;
  /** REST 5-min points plus one live sample per `openInterestSampleMs`. */
  openInterestMax: number;
  openInterestSampleMs: number;
  longShortMax: number;
  fundingMax: number;
  spreadSamples: number;
  /** At most one spread sample per this much exchange time. */
  spreadSampleMs: number;
  /** No message for this long → status reason 'stale'. */
  staleAfterMs: number;
}

export const DEFAULT_LIMITS: Readonly<StateLimits> = {
  bookDepth: 50,
  candlesPerTimeframe: CANDLES_PER_TIMEFRAME,
  tradesWindowMs: TRADES_WINDOW_MS,
  tradesMax: TRADES_MAX,
  liquidationsWindowMs: LIQUIDATIONS_WINDOW_MS,
  liquidationsMax: LIQUIDATIONS_MAX,
  // The slow series hold what the engine reads, not a day of history: 24 h at one open-interest sample a minute
  // would be 1,500 points a symbol (≈100 kB of objects; ≈85 MB at the full universe) for a 60-minute look-back.
  // Open interest: the look-back (OI_ACTIVITY_LOOKBACK_MS) at one live sample a minute plus the 5-minute REST points
  // polled into it (≈72 an hour), twice over with a margin. Long/short ratio and funding: only the newest point is
  // read (score, confidence, the table's funding column); a few more survive a poll that returns older points.
  openInterestMax: 180,
  openInterestSampleMs: 60_000,
  longShortMax: 12,
  fundingMax: 12,
  spreadSamples: 600,
  spreadSampleMs: 1_000,
  staleAfterMs: 60_000,
};

export type WarmupState = 'pending' | 'done' | 'failed';

export interface SymbolIntakeStatus {
  /** Warm-up klines are in and a ticker and a book snapshot have arrived at least once: scores are meaningful. */
  readonly warm: boolean;
  readonly bookSynced: boolean;
  /** Market-clock time (local receive time; recorded time in replay) of the last applied message. */
  readonly lastUpdateAt: number | null;
  /** Exchange time of the last trade. */
  readonly lastTradeAt: number | null;
  /** What is missing right now, or null: warming_up | warmup_failed | no_ticker | no_book | book_<gap|crossed|disconnect|empty|awaiting_snapshot> | repairing | stale */
  readonly reason: string | null;
  readonly warmup: WarmupState;
  readonly resyncs: number;
  /** Timeframes whose candles have a gap being backfilled over REST: the symbol is not fully fresh until repaired. */
  readonly repairing: readonly Timeframe[];
}

export type ResyncReason = 'gap' | 'crossed' | 'empty';

export interface MarketStoreOptions {
  limits?: Partial<StateLimits>;
  /** Market clock (exchange time): expires trade/liquidation windows on read, dates backfilled candles. */
  now?: () => number;
  /** Local clock of the receive times (lastUpdateAt), for staleness. Defaults to `now`. */
  wallNow?: () => number;
  /** Called when a book needs a fresh snapshot (the intake resubscribes the topic). */
  onResync?: (symbol: string, reason: ResyncReason) => void;
  /** Called when a live candle starts more than one interval after the newest one held (candles are missing). */
  onCandleGap?: (symbol: string, timeframe: Timeframe, newestStart: number | undefined) => void;
}

/** Structure sizes of one symbol, for health and for the bounded-memory test. */
export interface SymbolStateSizes {
  trades: number;
  /** Bytes of the trade window's columns, and trades the count cap dropped. */
  tradeBytes: number;
  tradesTruncated: number;
  blockTrades: number;
  rpiTrades: number;
  liquidations: number;
  bookBids: number;
  bookAsks: number;
  candles: Record<Timeframe, number>;
  openInterest: number;
  longShort: number;
  funding: number;
  spread: number;
}

class SymbolState {
  readonly book: OrderBook;
  readonly ticker = new TickerMerger();
  readonly candles: Record<Timeframe, CandleSeries>;
  readonly trades: TradeWindow;
  readonly liquidations: LiquidationWindow;
  readonly funding: TimeSeries<FundingPoint>;
  readonly openInterest: TimeSeries<OpenInterestPoint>;
  readonly longShort: TimeSeries<LongShortPoint>;
  readonly spread: Ring<number>;
  /** The book's measures (bookFeaturesOf), sampled with the spread once a second, for the engine's 60 s smoothing. */
  readonly bookFeatures: Ring<BookFeatures>;
  /** Minutes between funding settlements (instruments-info `fundingInterval`, or the ticker's `fundingIntervalHour`). */
  fundingIntervalMinutes: number | undefined = undefined;
  lastSpreadSampleTs = -Infinity;
  // -Infinity until the first message, not null: a field that only ever holds doubles is updated in place, where a
  // null-or-number field allocates a boxed number on every one of the ~50,000 messages a second.
  lastUpdateAt = Number.NEGATIVE_INFINITY;
  lastTradeAt = Number.NEGATIVE_INFINITY;
  /** Block (BT) and RPI trades: kept out of the order-flow window, counted here. */
  blockTrades = 0;
  rpiTrades = 0;
  resyncs = 0;
  bookSeen = false;
  klinesReady = false;
  warmup: WarmupState = 'pending';
  readonly repairing = new Set<Timeframe>();
  /** Bumped on every change; the cached snapshot is reused while it is unchanged. */
  version = 0;
  cachedVersion = -1;
  cached: MarketSnapshot | undefined;

  constructor(
    readonly symbol: string,
    readonly limits: StateLimits,
  ) {
    this.book = new OrderBook(limits.bookDepth);
    const c = {} as Record<Timeframe, CandleSeries>;
    for (const tf of TIMEFRAMES) c[tf] = new CandleSeries(TIMEFRAME_MS[tf], limits.candlesPerTimeframe);
    this.candles = c;
    this.trades = new TradeWindow(limits.tradesWindowMs, limits.tradesMax);
    this.liquidations = new LiquidationWindow(limits.liquidationsWindowMs, limits.liquidationsMax);
    this.funding = new TimeSeries(limits.fundingMax);
    this.openInterest = new TimeSeries(limits.openInterestMax);
    this.longShort = new TimeSeries(limits.longShortMax);
    this.spread = new Ring(limits.spreadSamples);
    this.bookFeatures = new Ring(BOOK_SMOOTHING_SAMPLES);
  }
}

/** A time that was never set (-Infinity) as null. */
function orNull(t: number): number | null {
  return t === Number.NEGATIVE_INFINITY ? null : t;
}

function toCandle(ev: CandleEvent): Candle {
  return {
    start: ev.start,
    open: ev.open,
    high: ev.high,
    low: ev.low,
    close: ev.close,
    volume: ev.volume,
    turnover: ev.turnover,
    confirmed: ev.confirmed,
  };
}

/** All per-symbol market state of the intake. Events for symbols not added are ignored (counted). */
export class MarketStore {
  private readonly states = new Map<string, SymbolState>();
  /** State of symbols that left the universe, kept for a grace period: symbol → (state, time it left). */
  private readonly retired = new Map<string, { state: SymbolState; at: number }>();
  private readonly limits: StateLimits;
  private readonly now: () => number;
  private readonly wallNow: () => number;
  private readonly onResync: ((symbol: string, reason: ResyncReason) => void) | undefined;
  private readonly onCandleGap: MarketStoreOptions['onCandleGap'];
  /** Book resyncs triggered (gap or crossed), all symbols. */
  resyncs = 0;
  /** Events dropped because their symbol is not tracked (e.g. just unsubscribed). */
  unknownSymbol = 0;
  /** Book deltas ignored while waiting for a snapshot. */
  bookIgnored = 0;
  /** Exchange time of the newest liquidation on any symbol; undefined until the feed delivers one. */
  private liquidationFeedLastEventAt: number | undefined = undefined;

  constructor(options: MarketStoreOptions = {}) {
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.now = options.now ?? Date.now;
    this.wallNow = options.wallNow ?? this.now;
    this.onResync = options.onResync;
    this.onCandleGap = options.onCandleGap;
  }

  /**
   * Tracks a symbol. Returns 'restored' when it left less than a grace period ago and its state was kept (candles,
   * slow series, trades still in their window): the book waits for a fresh snapshot, the candle gap is repaired.
   */
  add(symbol: string): 'new' | 'restored' | 'present' {
    if (this.states.has(symbol)) return 'present';
    const kept = this.retired.get(symbol);
    if (kept) {
      this.retired.delete(symbol);
      kept.state.book.invalidate('awaiting_snapshot');
      // Repairs in flight when it left were abandoned; the intake starts new ones for the time it was away.
      kept.state.repairing.clear();
      kept.state.version++;
      this.states.set(symbol, kept.state);
      return 'restored';
    }
    this.states.set(symbol, new SymbolState(symbol, this.limits));
    return 'new';
  }

  /** Stops tracking a symbol and forgets its state. */
  remove(symbol: string): void {
    this.states.delete(symbol);
    this.retired.delete(symbol);
  }

  /** Stops tracking a symbol but keeps its state until `expireRetired` drops it (universe churn grace period). */
  retire(symbol: string): void {
    const s = this.states.get(symbol);
    if (!s) return;
    this.states.delete(symbol);
    this.retired.set(symbol, { state: s, at: this.wallNow() });
  }

  /** Forgets retired states older than `graceMs`; returns the symbols dropped. */
  expireRetired(graceMs: number): string[] {
    const cutoff = this.wallNow() - graceMs;
    const dropped: string[] = [];
    for (const [symbol, r] of this.retired) {
      if (r.at <= cutoff) {
        this.retired.delete(symbol);
        dropped.push(symbol);
      }
    }
    return dropped;
  }

  get retiredCount(): number {
    return this.retired.size;
  }

  has(symbol: string): boolean {
    return this.states.has(symbol);
  }

  symbols(): string[] {
    return [...this.states.keys()];
  }

  get size(): number {
    return this.states.size;
  }

  apply(ev: DataEvent): void {
    const s = this.states.get(ev.symbol);
    if (s === undefined) {
      this.unknownSymbol++;
      return;
    }
    s.version++;
    if (ev.recvTs > s.lastUpdateAt) s.lastUpdateAt = ev.recvTs;
    switch (ev.type) {
      case 'trade':
        if (ev.ts > s.lastTradeAt) s.lastTradeAt = ev.ts;
        // Block trades are negotiated off the book and RPI fills meet hidden retail-price-improvement orders: neither
        // is an aggressor lifting or hitting the public book, so neither enters the order-flow window (CVD, taker
        // ratios, trade intensity). They are counted per symbol instead.
        if (ev.blockTrade === true || ev.rpi === true) {
          if (ev.blockTrade === true) s.blockTrades++;
          if (ev.rpi === true) s.rpiTrades++;
          return;
        }
        s.trades.push(ev);
        return;
      case 'book_snapshot':
      case 'book_delta': {
        const r = s.book.apply(ev);
        if (r === 'snapshot' || r === 'applied') {
          s.bookSeen = true;
          if (ev.ts - s.lastSpreadSampleTs >= this.limits.spreadSampleMs) {
            const bps = s.book.spreadBps();
            if (bps !== undefined) {
              s.spread.push(bps);
              s.lastSpreadSampleTs = ev.ts;
              const top = s.book.snapshot();
              const f = bookFeaturesOf(top.bids, top.asks, ev.ts);
              if (f !== undefined) s.bookFeatures.push(f);
            }
          }
        } else if (r === 'gap' || r === 'crossed' || r === 'empty') {
          s.resyncs++;
          this.resyncs++;
          this.onResync?.(ev.symbol, r);
        } else if (r === 'ignored') {
          this.bookIgnored++;
        }
        return;
      }
      case 'ticker': {
        s.ticker.apply(ev);
        const hours = ev.fields.fundingIntervalHour;
        if (hours !== undefined && Number.isFinite(hours) && hours > 0) s.fundingIntervalMinutes = hours * 60;
        const oi = ev.fields.openInterest;
        if (oi !== undefined) {
          const bucket = Math.floor(ev.ts / this.limits.openInterestSampleMs) * this.limits.openInterestSampleMs;
          const last = s.openInterest.last();
          if (!last || last.ts !== bucket || last.openInterest !== oi) s.openInterest.upsert({ ts: bucket, openInterest: oi });
        }
        return;
      }
      case 'candle': {
        const series = s.candles[ev.timeframe];
        const newest = series.newestStart();
        if (series.applyLive(toCandle(ev))) this.onCandleGap?.(ev.symbol, ev.timeframe, newest);
        return;
      }
      case 'liquidation':
        if (this.liquidationFeedLastEventAt === undefined || ev.ts > this.liquidationFeedLastEventAt) this.liquidationFeedLastEventAt = ev.ts;
        s.liquidations.push({ ts: ev.ts, price: ev.price, size: ev.size, side: ev.side });
        return;
    }
  }

  /** The connection carrying this symbol's book dropped: wait for the snapshot that follows the resubscribe. */
  bookDisconnected(symbol: string): void {
    const s = this.states.get(symbol);
    if (!s) return;
    s.book.invalidate('disconnect');
    s.version++;
  }

  /** Book unsynced reason, or undefined when synced / unknown symbol. */
  bookUnsyncedReason(symbol: string): BookUnsyncedReason | undefined {
    return this.states.get(symbol)?.book.unsyncedReason;
  }

  mergeCandles(symbol: string, timeframe: Timeframe, candles: readonly Candle[]): void {
    const s = this.states.get(symbol);
    if (!s) return;
    s.candles[timeframe].mergeBackfill(candles, this.now());
    s.version++;
  }

  /** The instrument's funding interval from instruments-info (minutes); a ticker's `fundingIntervalHour` overrides it. */
  setFundingInterval(symbol: string, minutes: number | undefined): void {
    const s = this.states.get(symbol);
    if (!s || minutes === undefined || !Number.isFinite(minutes) || minutes <= 0 || s.fundingIntervalMinutes === minutes) return;
    s.fundingIntervalMinutes = minutes;
    s.version++;
  }

  /** The funding interval in minutes, when known. */
  fundingInterval(symbol: string): number | undefined {
    return this.states.get(symbol)?.fundingIntervalMinutes;
  }

  mergeOpenInterest(symbol: string, points: readonly OpenInterestPoint[]): void {
    this.mergeSeries(symbol, (s) => s.openInterest.merge(points));
  }

  mergeLongShort(symbol: string, points: readonly LongShortPoint[]): void {
    this.mergeSeries(symbol, (s) => s.longShort.merge(points));
  }

  mergeFunding(symbol: string, points: readonly FundingPoint[]): void {
    this.mergeSeries(symbol, (s) => s.funding.merge(points));
  }

  /** Start of the newest candle held for a timeframe (undefined: none). */
  newestCandleStart(symbol: string, timeframe: Timeframe): number | undefined {
    return this.states.get(symbol)?.candles[timeframe].newestStart();
  }

  /** True when the symbol's candles of `timeframe` have no missing interval from `from` to the newest. */
  candlesContiguousFrom(symbol: string, timeframe: Timeframe, from: number): boolean {
    return this.states.get(symbol)?.candles[timeframe].contiguousFrom(from) ?? true;
  }

  setRepairing(symbol: string, timeframe: Timeframe, on: boolean): void {
    const s = this.states.get(symbol);
    if (!s) return;
    if (on) s.repairing.add(timeframe);
    else s.repairing.delete(timeframe);
  }

  setWarmup(symbol: string, state: WarmupState, klinesReady: boolean): void {
    const s = this.states.get(symbol);
    if (!s) return;
    s.warmup = state;
    s.klinesReady = klinesReady;
  }

  cvd(symbol: string): number | undefined {
    return this.states.get(symbol)?.trades.cvd;
  }

  /**
   * The engine's view of one symbol. Cheap to call every second: arrays are shared, immutable views that are rebuilt
   * only for the structures that changed since the previous call (callers must not mutate them), and the whole object
   * is reused while nothing changed.
   */
  snapshot(symbol: string): MarketSnapshot | undefined {
    const s = this.states.get(symbol);
    if (!s) return undefined;
    const now = this.now();
    const before = s.trades.size + s.liquidations.size;
    s.trades.expire(now);
    s.liquidations.expire(now);
    if (s.trades.size + s.liquidations.size !== before) s.version++;
    if (s.cached && s.cachedVersion === s.version) return s.cached;
    const candles = {} as Record<Timeframe, readonly Candle[]>;
    for (const tf of TIMEFRAMES) candles[tf] = s.candles[tf].view();
    s.cached = {
      symbol,
      candles,
      book: s.bookSeen ? s.book.snapshot() : undefined,
      trades: s.trades.view(),
      ticker: s.ticker.view(),
      funding: s.funding.view(),
      openInterest: s.openInterest.view(),
      longShort: s.longShort.view(),
      liquidations: s.liquidations.view(),
      spreadHistoryBps: s.spread.view(),
      bookHistory: s.bookFeatures.view(),
      fundingIntervalMinutes: s.fundingIntervalMinutes,
      liquidationFeedLastEventAt: this.liquidationFeedLastEventAt,
    };
    s.cachedVersion = s.version;
    return s.cached;
  }

  status(symbol: string): SymbolIntakeStatus | undefined {
    const s = this.states.get(symbol);
    if (!s) return undefined;
    const warm = s.klinesReady && s.ticker.hasData && s.bookSeen;
    let reason: string | null = null;
    if (s.warmup !== 'done' && !s.klinesReady) reason = s.warmup === 'failed' ? 'warmup_failed' : 'warming_up';
    else if (!s.ticker.hasData) reason = 'no_ticker';
    else if (!s.bookSeen) reason = 'no_book';
    else if (!s.book.synced) reason = `book_${s.book.unsyncedReason ?? 'awaiting_snapshot'}`;
    else if (s.repairing.size > 0) reason = 'repairing';
    else if (this.wallNow() - s.lastUpdateAt > this.limits.staleAfterMs && s.lastUpdateAt !== Number.NEGATIVE_INFINITY) reason = 'stale';
    else if (s.warmup === 'failed') reason = 'warmup_failed';
    return {
      warm,
      bookSynced: s.book.synced,
      lastUpdateAt: orNull(s.lastUpdateAt),
      lastTradeAt: orNull(s.lastTradeAt),
      reason,
      warmup: s.warmup,
      resyncs: s.resyncs,
      repairing: [...s.repairing],
    };
  }

  sizes(symbol: string): SymbolStateSizes | undefined {
    const s = this.states.get(symbol);
    if (!s) return undefined;
    const lv = s.book.levelCount();
    const candles = {} as Record<Timeframe, number>;
    for (const tf of TIMEFRAMES) candles[tf] = s.candles[tf].size;
    return {
      trades: s.trades.size,
      tradeBytes: s.trades.bytes,
      tradesTruncated: s.trades.truncated,
      blockTrades: s.blockTrades,
      rpiTrades: s.rpiTrades,
      liquidations: s.liquidations.size,
      bookBids: lv.bids,
      bookAsks: lv.asks,
      candles,
      openInterest: s.openInterest.size,
      longShort: s.longShort.size,
      funding: s.funding.size,
      spread: s.spread.size,
    };
  }

  private mergeSeries(symbol: string, fn: (s: SymbolState) => void): void {
    const s = this.states.get(symbol);
    if (!s) return;
    fn(s);
    s.version++;
  }
}
