import { isValidSymbol, type ShardId } from '@confluence/contracts';
import type { Logger } from '@confluence/logger';
import type { BybitRestClient } from './bybit/rest-client';

/** The instrument fields the selection looks at (a subset of `/v5/market/instruments-info` items). */
export interface UniverseInstrument {
  readonly symbol: string;
  readonly contractType: string;
  readonly status: string;
  readonly quoteCoin: string;
  readonly priceFilter?: { readonly tickSize?: number };
  /** Minutes between funding settlements (480 for most; 240 or 60 for some). */
  readonly fundingInterval?: number;
  readonly baseCoin?: string;
  /** Bybit's asset class of a non-crypto contract: "stock", "commodity", "etf", "forex", … ("" for crypto). */
  readonly symbolType?: string;
}

export interface UniverseOptions {
  /** N of "top N by 24 h turnover". */
  topSymbols: number;
  /** Explicit list: used instead of the ranking, each symbol checked against the instruments. */
  symbols?: readonly string[];
  shard?: ShardId;
  /** Rank stock, commodity, ETF and FX perpetuals too (default: crypto only). */
  includeTradFi?: boolean;
  /** The current ranked selection (before sharding), for hysteresis: members are kept until they fall well below the cut. */
  current?: readonly string[];
}

/** Bybit symbolType values of non-crypto perpetuals (tokenised stocks, metals and energy, ETFs, currencies). */
export const TRADFI_SYMBOL_TYPES: ReadonlySet<string> = new Set(['stock', 'commodity', 'etf', 'forex', 'xstocks', 'mstocks']);
/** Precious metals, for listings that predate symbolType (it is "" on older instruments). */
const METAL_BASE_COINS: ReadonlySet<string> = new Set(['XAU', 'XAG', 'XPT', 'XPD']);

/** Stock, commodity, ETF or FX perpetual (excluded from the crypto universe unless configured). */
export function isTradFi(i: UniverseInstrument): boolean {
  const t = (i.symbolType ?? '').trim().toLowerCase();
  if (t !== '') return TRADFI_SYMBOL_TYPES.has(t);
  return METAL_BASE_COINS.has((i.baseCoin ?? '').toUpperCase());
}

/**
 * Hysteresis of the ranked universe (top N by 24 h turnover), so a symbol that slips a place is not dropped and
 * re-added (throwing away its state) at every refresh:
 * - a member stays while its rank is within KEEP_RANK_FACTOR × N (e.g. rank ≤ 22 for N = 15);
 * - a newcomer in the top N takes the place of the weakest member only when its turnover is at least
 *   CHALLENGE_FACTOR × that member's; free places (members that fell out, or a bigger N) go to the best newcomers.
 */
export const KEEP_RANK_FACTOR = 1.5;
export const CHALLENGE_FACTOR = 1.25;

export type SkipReason = 'unknown_symbol' | 'invalid_symbol' | 'not_trading' | 'not_usdt_perpetual';

export interface UniverseSelection {
  /** Selected symbols: by turnover descending (ties by name), or in the explicit list's order; then the shard's slice. */
  readonly symbols: string[];
  /** The whole selection before sharding (what hysteresis compares the next ranking with). */
  readonly ranked: string[];
  /** Explicit-list entries that were rejected, with why. */
  readonly skipped: { symbol: string; reason: SkipReason }[];
  /** Each selected symbol's price step, when the exchange stated one (the dashboard shows prices at it). */
  readonly tickSizes: ReadonlyMap<string, number>;
  /** Funding interval (minutes) of each selected symbol whose instrument states one. */
  readonly fundingIntervals: ReadonlyMap<string, number>;
  /** Instruments known but no longer `Trading` (Settling, Delivering, Closed, …), with their status. */
  readonly notTrading?: ReadonlyMap<string, string>;
}

/** FNV-1a 32-bit hash of a string (UTF-16 code units; symbols are ASCII). */
export function fnv1a32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Shard membership by a stable hash of the name: independent of rank, so a symbol never moves between shards. */
export function inShard(symbol: string, shard: ShardId | undefined): boolean {
  if (!shard || shard.count <= 1) return true;
  return fnv1a32(symbol) % shard.count === shard.index;
}

export function isEligible(i: UniverseInstrument, includeTradFi = false): boolean {
  return i.status === 'Trading' && i.contractType === 'LinearPerpetual' && i.quoteCoin === 'USDT' && isValidSymbol(i.symbol) && (includeTradFi || !isTradFi(i));
}

/**
 * Pure selection: top N linear USDT perpetuals in `Trading` status by 24 h turnover (unknown turnover ranks last),
 * or the explicit list validated against the instruments; then the shard's slice. The union of all shards' slices is
 * exactly the unsharded selection.
 */
export function selectUniverse(
  instruments: readonly UniverseInstrument[],
  turnover24h: ReadonlyMap<string, number>,
  options: UniverseOptions,
): UniverseSelection {
  const bySymbol = new Map(instruments.map((i) => [i.symbol, i]));
  const skipped: { symbol: string; reason: SkipReason }[] = [];
  let chosen: string[];
  if (options.symbols?.length) {
    chosen = [];
    const seen = new Set<string>();
    for (const raw of options.symbols) {
      const symbol = raw.trim().toUpperCase();
      if (seen.has(symbol)) continue;
      seen.add(symbol);
      const inst = bySymbol.get(symbol);
      if (!isValidSymbol(symbol)) skipped.push({ symbol, reason: 'invalid_symbol' });
      else if (!inst) skipped.push({ symbol, reason: 'unknown_symbol' });
      else if (inst.contractType !== 'LinearPerpetual' || inst.quoteCoin !== 'USDT') skipped.push({ symbol, reason: 'not_usdt_perpetual' });
      else if (inst.status !== 'Trading') skipped.push({ symbol, reason: 'not_trading' });
      else chosen.push(symbol);
    }
  } else {
    const eligible = instruments.filter((i) => isEligible(i, options.includeTradFi)).map((i) => i.symbol);
    const t = (s: string) => {
      const v = turnover24h.get(s);
      return v !== undefined && Number.isFinite(v) ? v : -1;
    };
    eligible.sort((a, b) => t(b) - t(a) || (a < b ? -1 : a > b ? 1 : 0));
    const ranked = [...new Set(eligible)];
    chosen = withHysteresis(ranked, t, Math.max(0, options.topSymbols), options.current ?? []);
  }
  const symbols = chosen.filter((s) => inShard(s, options.shard));
  const tickSizes = new Map<string, number>();
  const fundingIntervals = new Map<string, number>();
  const positive = (v: number | undefined): v is number => v !== undefined && Number.isFinite(v) && v > 0;
  for (const s of symbols) {
    const info = bySymbol.get(s);
    const tick = info?.priceFilter?.tickSize;
    if (positive(tick)) tickSizes.set(s, tick);
    const m = info?.fundingInterval;
    if (positive(m)) fundingIntervals.set(s, m);
  }
  return { symbols, ranked: chosen, skipped, tickSizes, fundingIntervals };
}

/** Top `n` of `ranked` (best first) with hysteresis against `current`; the result is in rank order. */
export function withHysteresis(ranked: readonly string[], turnover: (s: string) => number, n: number, current: readonly string[]): string[] {
  if (current.length === 0) return ranked.slice(0, n);
  const rank = new Map(ranked.map((s, i) => [s, i]));
  const keepRank = Math.ceil(n * KEEP_RANK_FACTOR);
  const kept = new Set(current.filter((s) => (rank.get(s) ?? Infinity) < keepRank));
  // Members beyond n (N was lowered) go, weakest first.
  const byRank = (a: string, b: string) => (rank.get(a) ?? 0) - (rank.get(b) ?? 0);
  const members = [...kept].sort(byRank).slice(0, n);
  const selected = new Set(members);
  const newcomers = ranked.slice(0, n).filter((s) => !selected.has(s));
  for (const c of newcomers) {
    if (selected.size < n) {
      selected.add(c);
      continue;
    }
    // The weakest member (lowest turnover) yields only to a clearly bigger newcomer.
    let weakest: string | undefined;
    for (const m of selected)
      if (weakest === undefined || turnover(m) < turnover(weakest) || (turnover(m) === turnover(weakest) && byRank(m, weakest) > 0)) weakest = m;
    if (weakest !== undefined && turnover(c) >= CHALLENGE_FACTOR * Math.max(0, turnover(weakest)) && turnover(c) > turnover(weakest)) {
      selected.delete(weakest);
      selected.add(c);
    }
  }
  return [...selected].sort(byRank);
}

/** REST shell: fetches instruments (all pages) and tickers, then selects. */
export async function fetchUniverse(rest: BybitRestClient, options: UniverseOptions, logger: Logger): Promise<UniverseSelection> {
  const [instruments, tickers] = await Promise.all([rest.instruments(), options.symbols?.length ? Promise.resolve([]) : rest.tickers()]);
  const turnover = new Map<string, number>();
  for (const t of tickers) if (t.turnover24h !== undefined) turnover.set(t.symbol, t.turnover24h);
  const selection = selectUniverse(instruments, turnover, options);
  for (const s of selection.skipped) logger.warn('configured symbol skipped', { symbol: s.symbol, reason: s.reason });
  const notTrading = new Map<string, string>();
  for (const i of instruments) if (i.status !== 'Trading') notTrading.set(i.symbol, i.status);
  return { ...selection, notTrading };
}
