import type { Engine, MarketSnapshot, SymbolScore } from '@confluence/confluence';
import { fundingPer8h, FUNDING_REFERENCE_MINUTES, newestTradeTs, toComponentScores } from '@confluence/confluence';
import type { ComponentScores, FundingInfo, ScoreMove, SymbolDetail, SymbolRow } from '@confluence/contracts';
import { errorMessage } from '@confluence/logger';
import { CYCLE_SLICE_MS, Slicer } from '../slicer';

/** What the cycle needs from the intake; the intake implements it, tests can fake it. */
export interface ScoreSource {
  symbols(): readonly string[];
  snapshot(symbol: string): MarketSnapshot | undefined;
  symbolStatus(
    symbol: string,
  ): { warm: boolean; bookSynced: boolean; lastUpdateAt: number | null; reason?: string | null; repairing?: readonly unknown[] } | undefined;
  /** The instrument's price step, when known (published so every price is shown at it). */
  tickSize?(symbol: string): number | undefined;
}

export interface Scored {
  symbol: string;
  snapshot: MarketSnapshot | undefined;
  /** Null while the symbol is warming up (no snapshot or not warm). */
  result: SymbolScore | null;
  warm: boolean;
  bookSynced: boolean;
  /** Candles with a gap being backfilled: scored, but not fully fresh (dataOk false) until repaired. */
  repairing: boolean;
  updatedAt: number;
  reason: string | null;
  tickSize?: number;
}

/** Symbols scored between two yields to the event loop, so WebSocket handling is never held up for long. */
export const CYCLE_CHUNK = 25;

const EMPTY_COMPONENTS: ComponentScores = { technical: null, volume: null, orderflow: null, orderbook: null, structure: null, sentiment: null };

function lastTradePrice(s: MarketSnapshot): number | undefined {
  const t = s.trades;
  return t.tail > t.head ? t.price[t.tail - 1] : undefined;
}

export function priceOf(s: MarketSnapshot | undefined): number | null {
  if (!s) return null;
  // The last trade is the freshest price; the ticker's lastPrice follows it within 100 ms.
  return lastTradePrice(s) ?? s.ticker?.lastPrice ?? s.candles['1m'][s.candles['1m'].length - 1]?.close ?? null;
}

function updatedAtOf(s: MarketSnapshot | undefined, fallback: number | null): number {
  if (!s) return fallback ?? 0;
  const t = newestTradeTs(s.trades) ?? 0;
  return Math.max(t, s.book?.ts ?? 0, s.ticker?.ts ?? 0, fallback ?? 0);
}

function scoreOne(engine: Engine, source: ScoreSource, symbol: string, now: number): Scored {
  const status = source.symbolStatus(symbol);
  const snapshot = source.snapshot(symbol);
  const warm = Boolean(status?.warm && snapshot);
  let result: SymbolScore | null = null;
  let failure: string | null = null;
  if (warm && snapshot) {
    try {
      result = engine.score(snapshot, now);
    } catch (err) {
      failure = errorMessage(err);
    }
  }
  return scoredOf(source, symbol, status, snapshot, result, failure);
}

/**
 * One symbol's cycle outcome from what the source says of it and the engine's result (null: not scored), or the
 * message of a scoring failure. Shared by the in-thread cycle and the worker pool, so both report alike.
 */
export function scoredOf(
  source: ScoreSource,
  symbol: string,
  status: ReturnType<ScoreSource['symbolStatus']>,
  snapshot: MarketSnapshot | undefined,
  result: SymbolScore | null,
  failure: string | null,
): Scored {
  const warm = Boolean(status?.warm && snapshot);
  let reason: string | null = status?.reason ?? null;
  if (failure !== null) reason = `scoring failed: ${failure}`;
  else if (!warm) reason ??= 'warming up';
  const scored: Scored = {
    symbol,
    snapshot,
    result,
    warm,
    bookSynced: status?.bookSynced ?? false,
    repairing: (status?.repairing?.length ?? 0) > 0,
    updatedAt: updatedAtOf(snapshot, status?.lastUpdateAt ?? null),
    reason,
  };
  const tick = source.tickSize?.(symbol);
  if (tick !== undefined) scored.tickSize = tick;
  return scored;
}

/** Scores every symbol at once; for market-minute sampling during a replay, where the clock stands still meanwhile. */
export function scoreAllSync(engine: Engine, source: ScoreSource, now: number): Scored[] {
  return source.symbols().map((symbol) => scoreOne(engine, source, symbol, now));
}

/**
 * Scores every symbol of the source. Work is sliced with yields in between (after `chunk` symbols or `sliceMs`,
 * whichever comes first) so a full-universe cycle never blocks WebSocket handling for more than one slice.
 */
export async function scoreAll(engine: Engine, source: ScoreSource, now: number, chunk = CYCLE_CHUNK, sliceMs = CYCLE_SLICE_MS): Promise<Scored[]> {
  const symbols = source.symbols();
  const out: Scored[] = [];
  const slicer = new Slicer(sliceMs);
  let inSlice = 0;
  for (let i = 0; i < symbols.length; i++) {
    if (inSlice >= chunk || (inSlice > 0 && slicer.due())) {
      await slicer.yield();
      inSlice = 0;
    }
    out.push(scoreOne(engine, source, symbols[i], now));
    inSlice++;
  }
  return out;
}

function num(v: number | undefined): number | null {
  return v === undefined || !Number.isFinite(v) ? null : v;
}

/** The live funding rate as an 8-hour equivalent, with its interval and next settlement; null without a rate. */
export function fundingInfo(s: MarketSnapshot | undefined): FundingInfo | null {
  const rate = num(s?.ticker?.fundingRate);
  if (rate === null || !s) return null;
  const m = s.fundingIntervalMinutes;
  const interval = m !== undefined && Number.isInteger(m) && m > 0 ? m : null;
  const next = num(s.ticker?.nextFundingTime);
  return {
    rate8h: fundingPer8h(rate, interval ?? FUNDING_REFERENCE_MINUTES),
    intervalMinutes: interval,
    nextFundingTime: next !== null && Number.isInteger(next) && next >= 0 ? next : null,
  };
}

export function toRow(s: Scored, lastMove: ScoreMove | null): SymbolRow {
  const t = s.snapshot?.ticker;
  const r = s.result;
  const row: SymbolRow = {
    symbol: s.symbol,
    score: r ? r.score : null,
    direction: r ? r.direction : null,
    strength: r ? r.strength : null,
    confidence: r ? r.confidence.value : 0,
    price: priceOf(s.snapshot),
    change24h: num(t?.price24hPcnt),
    turnover24h: num(t?.turnover24h),
    volume24h: num(t?.volume24h),
    fundingRate: num(t?.fundingRate),
    funding: fundingInfo(s.snapshot),
    openInterest: num(t?.openInterest),
    openInterestValue: num(t?.openInterestValue),
    components: r ? toComponentScores(r) : EMPTY_COMPONENTS,
    updatedAt: s.updatedAt,
    dataOk: s.warm && s.bookSynced && !s.repairing,
    ...(s.repairing ? { repairing: true } : {}),
    lastMove,
  };
  if (s.tickSize !== undefined) row.tickSize = s.tickSize;
  return row;
}

export function toDetail(s: Scored, lastMove: ScoreMove | null, bandRecord: SymbolDetail['bandRecord']): SymbolDetail | null {
  const r = s.result;
  if (!r) return null;
  const snap = s.snapshot;
  const book = snap?.book;
  const bestBid = book?.bids[0]?.[0] ?? null;
  const bestAsk = book?.asks[0]?.[0] ?? null;
  const mid = bestBid !== null && bestAsk !== null ? (bestBid + bestAsk) / 2 : null;
  const depth = (levels: readonly (readonly [number, number])[] | undefined) => (levels ? levels.reduce((n, [p, q]) => n + p * q, 0) : null);
  const t = snap?.ticker;
  const detail: SymbolDetail = {
    symbol: s.symbol,
    score: r.score,
    direction: r.direction,
    strength: r.strength,
    confidence: r.confidence,
    rationale: s.bookSynced ? r.rationale : `${r.rationale} (order book resyncing)`.slice(0, 600),
    components: r.components,
    topContributors: r.topContributors,
    price: priceOf(snap),
    change24h: num(t?.price24hPcnt),
    fundingRate: num(t?.fundingRate),
    funding: fundingInfo(snap),
    openInterest: num(t?.openInterest),
    orderbook: {
      bestBid,
      bestAsk,
      mid,
      spreadBps: mid !== null && bestAsk !== null && bestBid !== null && mid > 0 ? ((bestAsk - bestBid) / mid) * 10_000 : null,
      bidDepth: depth(book?.bids),
      askDepth: depth(book?.asks),
      levels: book ? book.bids.length + book.asks.length : 0,
      synced: Boolean(book?.synced),
    },
    updatedAt: s.updatedAt,
    dataOk: s.warm && s.bookSynced && !s.repairing,
    lastMove,
    bandRecord,
  };
  if (s.tickSize !== undefined) detail.tickSize = s.tickSize;
  return detail;
}
