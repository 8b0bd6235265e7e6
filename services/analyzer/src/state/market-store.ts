import { TIMEFRAMES, type Timeframe } from '@confluence/contracts';
import { BOOK_SMOOTHING_SAMPLES, bookFeaturesOf, type BookFeatures, type Candle, type FundingPoint, type LongShortPoint, type MarketSnapshot, type OpenInterestPoint } from '@confluence/confluence';
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
  openInterestMax: 1_500,
  openInterestSampleMs: 60_000,
  longShortMax: 500,
  fundingMax: 200,
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
  /** What is missing right now, or null: warming_up | warmup_failed | no_ticker | no_book | book_<gap|crossed|disconnect|awaiting_snapshot> | stale */
  readonly reason: string | null;
  readonly warmup: WarmupState;
  readonly resyncs: number;
}

export type ResyncReason = 'gap' | 'crossed';

export interface MarketStoreOptions {
  limits?: Partial<StateLimits>;
  /** Market clock: expires trade/liquidation windows on read, judges staleness. */
  now?: () => number;
  /** Called when a book needs a fresh snapshot (the intake resubscribes the topic). */
  onResync?: (symbol: string, reason: ResyncReason) => void;
}

/** Structure sizes of one symbol, for health and for the bounded-memory test. */
export interface SymbolStateSizes {
  trades: number;
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
  lastUpdateAt: number | null = null;
  lastTradeAt: number | null = null;
  resyncs = 0;
  bookSeen = false;
  klinesReady = false;
  warmup: WarmupState = 'pending';
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
  private readonly limits: StateLimits;
  private readonly now: () => number;
  private readonly onResync: ((symbol: string, reason: ResyncReason) => void) | undefined;
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
    this.onResync = options.onResync;
  }

  add(symbol: string): void {
    if (!this.states.has(symbol)) this.states.set(symbol, new SymbolState(symbol, this.limits));
  }

  remove(symbol: string): void {
    this.states.delete(symbol);
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
    if (s.lastUpdateAt === null || ev.recvTs > s.lastUpdateAt) s.lastUpdateAt = ev.recvTs;
    switch (ev.type) {
      case 'trade':
        s.trades.push({ ts: ev.ts, price: ev.price, size: ev.size, side: ev.side });
        if (s.lastTradeAt === null || ev.ts > s.lastTradeAt) s.lastTradeAt = ev.ts;
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
        } else if (r === 'gap' || r === 'crossed') {
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
      case 'candle':
        s.candles[ev.timeframe].applyLive(toCandle(ev));
        return;
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
    else if (s.lastUpdateAt !== null && this.now() - s.lastUpdateAt > this.limits.staleAfterMs) reason = 'stale';
    else if (s.warmup === 'failed') reason = 'warmup_failed';
    return {
      warm,
      bookSynced: s.book.synced,
      lastUpdateAt: s.lastUpdateAt,
      lastTradeAt: s.lastTradeAt,
      reason,
      warmup: s.warmup,
      resyncs: s.resyncs,
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
