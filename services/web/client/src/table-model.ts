// Sorting, filtering and threshold logic for the symbols table. Pure: no DOM.
import type { ComponentName, Direction, SymbolRow } from './types.js';
import { BEARISH_AT, BULLISH_AT, COMPONENTS } from './types.js';

export type SortKey =
  | 'symbol'
  | 'price'
  | 'change24h'
  | 'score'
  | 'direction'
  | 'confidence'
  | ComponentName
  | 'fundingRate'
  | 'openInterest'
  | 'turnover24h'
  | 'updatedAt'
  | 'lastMove';

export type SortOrder = 'asc' | 'desc';
export type DirectionFilter = Direction | 'all';

export interface TableQuery {
  sort: SortKey;
  order: SortOrder;
  direction: DirectionFilter;
  text: string;
}

export const DEFAULT_QUERY: TableQuery = { sort: 'score', order: 'desc', direction: 'all', text: '' };

const DIRECTION_RANK: Record<Direction, number> = { Bearish: 0, Neutral: 1, Bullish: 2 };

export function isSortKey(v: unknown): v is SortKey {
  return (
    typeof v === 'string' &&
    (['symbol', 'price', 'change24h', 'score', 'direction', 'confidence', 'fundingRate', 'openInterest', 'turnover24h', 'updatedAt', 'lastMove'].includes(v) ||
      (COMPONENTS as readonly string[]).includes(v))
  );
}

/** Open interest in quote currency when known, so symbols compare in one unit (a detail has no published value: OI × price). */
export function openInterestValue(r: Pick<SymbolRow, 'openInterest' | 'price'> & { readonly openInterestValue?: number | null }): number | null {
  if (r.openInterestValue !== undefined && r.openInterestValue !== null) return r.openInterestValue;
  if (r.openInterest !== null && r.price !== null) return r.openInterest * r.price;
  return null;
}

function sortValue(r: SymbolRow, key: SortKey): number | string | null {
  switch (key) {
    case 'symbol':
      return r.symbol;
    case 'direction':
      return r.direction === null ? null : DIRECTION_RANK[r.direction] * 1000 + (r.score ?? 0);
    case 'openInterest':
      return openInterestValue(r);
    case 'lastMove':
      return r.lastMove ? r.lastMove.delta : null;
    case 'fundingRate':
      // Ranked per 8 h, as shown: a 1-hour contract's rate is not comparable with an 8-hour one's as printed.
      return r.funding ? r.funding.rate8h : r.fundingRate;
    case 'price':
    case 'change24h':
    case 'score':
    case 'confidence':
    case 'turnover24h':
    case 'updatedAt':
      return r[key];
    default:
      return r.components[key];
  }
}

/** Rows ordered by `key`; missing values always sort last, ties by symbol. */
export function sortRows(rows: readonly SymbolRow[], key: SortKey, order: SortOrder): SymbolRow[] {
  const sign = order === 'asc' ? 1 : -1;
  const keyed = rows.map((r) => ({ r, v: sortValue(r, key) }));
  keyed.sort((a, b) => {
    if (a.v === null || b.v === null) {
      if (a.v === b.v) return a.r.symbol < b.r.symbol ? -1 : a.r.symbol > b.r.symbol ? 1 : 0;
      return a.v === null ? 1 : -1;
    }
    const c = typeof a.v === 'string' ? a.v.localeCompare(b.v as string) : a.v - (b.v as number);
    if (c !== 0) return sign * c;
    return a.r.symbol < b.r.symbol ? -1 : a.r.symbol > b.r.symbol ? 1 : 0;
  });
  return keyed.map((k) => k.r);
}

export function matchesQuery(r: SymbolRow, q: TableQuery): boolean {
  if (q.direction !== 'all' && r.direction !== q.direction) return false;
  const text = q.text.trim().toUpperCase();
  return text === '' || r.symbol.includes(text);
}

export function applyQuery(rows: readonly SymbolRow[], q: TableQuery): SymbolRow[] {
  return sortRows(
    rows.filter((r) => matchesQuery(r, q)),
    q.sort,
    q.order,
  );
}

/** Default order when a column is first clicked: names A→Z, numbers largest first. */
export function defaultOrder(key: SortKey): SortOrder {
  return key === 'symbol' ? 'asc' : 'desc';
}

export type Band = 'bull' | 'bear' | 'neutral';

export function band(score: number | null): Band | null {
  if (score === null) return null;
  return score >= BULLISH_AT ? 'bull' : score <= BEARISH_AT ? 'bear' : 'neutral';
}

/** The band a score moved into, when it crossed a direction threshold (60/40) since the previous generation. */
export function crossedInto(prev: number | null, next: number | null): Band | null {
  const a = band(prev);
  const b = band(next);
  return a !== null && b !== null && a !== b ? b : null;
}
