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
  | 'change15m'
  | 'change1h'
  | 'directionSince';

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
    (['symbol', 'price', 'change24h', 'score', 'direction', 'confidence', 'fundingRate', 'openInterest', 'turnover24h', 'updatedAt', 'change15m', 'change1h', 'directionSince'].includes(v) ||
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
    case 'change15m':
      return r.scoreChange15m ?? null;
    case 'change1h':
      return r.scoreChange1h ?? null;
    case 'directionSince':
      return r.directionSince ?? null;
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

type SortValue = number | string | null;

function compareKeyed(sign: number) {
  return (a: { r: SymbolRow; v: SortValue }, b: { r: SymbolRow; v: SortValue }): number => {
    if (a.v === null || b.v === null) {
      if (a.v === b.v) return a.r.symbol < b.r.symbol ? -1 : a.r.symbol > b.r.symbol ? 1 : 0;
      return a.v === null ? 1 : -1;
    }
    const c = typeof a.v === 'string' ? a.v.localeCompare(b.v as string) : a.v - (b.v as number);
    if (c !== 0) return sign * c;
    return a.r.symbol < b.r.symbol ? -1 : a.r.symbol > b.r.symbol ? 1 : 0;
  };
}

/** Rows ordered by `key`; missing values always sort last, ties by symbol. */
export function sortRows(rows: readonly SymbolRow[], key: SortKey, order: SortOrder): SymbolRow[] {
  const keyed = rows.map((r) => ({ r, v: sortValue(r, key) }));
  keyed.sort(compareKeyed(order === 'asc' ? 1 : -1));
  return keyed.map((k) => k.r);
}

/**
 * How far a row's sort value must move before the row changes place: below it, the change is one-second noise.
 * Scores (and the components, and direction, which sorts by score inside each label) need a full point; the rest
 * a step a trader would call a change. Prices, turnover and open interest are relative (0.5 %).
 */
export function sortNoise(key: SortKey, value: number): number {
  switch (key) {
    case 'score':
    case 'direction':
    case 'change15m':
    case 'change1h':
      return 1;
    case 'directionSince':
      return 0;
    case 'confidence':
      return 0.02;
    case 'change24h':
      return 0.002;
    case 'fundingRate':
      return 0.00002;
    case 'updatedAt':
      return 5_000;
    case 'price':
    case 'turnover24h':
    case 'openInterest':
      return Math.abs(value) * 0.005;
    case 'symbol':
      return 0;
    default:
      return 1; // components, 0–100 like the score
  }
}

/**
 * The rule that keeps rows from moving under the eye: each row is sorted by a remembered value that follows the
 * live value only once the two differ by more than `sortNoise`. A row changes rank when its value really moved,
 * never because it and a neighbour swapped places inside the noise. `held` is updated in place (per sort key).
 */
export function stableSortRows(rows: readonly SymbolRow[], key: SortKey, order: SortOrder, held: Map<string, SortValue>): SymbolRow[] {
  const keyed = rows.map((r) => {
    const live = sortValue(r, key);
    const prev = held.get(r.symbol);
    let v = live;
    if (typeof live === 'number' && typeof prev === 'number' && Math.abs(live - prev) <= sortNoise(key, prev)) v = prev;
    held.set(r.symbol, v);
    return { r, v };
  });
  if (held.size > rows.length * 2) {
    const present = new Set(rows.map((r) => r.symbol));
    for (const sym of held.keys()) if (!present.has(sym)) held.delete(sym);
  }
  keyed.sort(compareKeyed(order === 'asc' ? 1 : -1));
  return keyed.map((k) => k.r);
}

export function matchesQuery(r: SymbolRow, q: TableQuery): boolean {
  if (q.direction !== 'all' && r.direction !== q.direction) return false;
  const text = q.text.trim().toUpperCase();
  return text === '' || r.symbol.includes(text);
}

export function applyQuery(rows: readonly SymbolRow[], q: TableQuery, held?: Map<string, SortValue>): SymbolRow[] {
  const matching = rows.filter((r) => matchesQuery(r, q));
  return held ? stableSortRows(matching, q.sort, q.order, held) : sortRows(matching, q.sort, q.order);
}

/** Default order when a column is first clicked: names A→Z, the label held longest first, numbers largest first. */
export function defaultOrder(key: SortKey): SortOrder {
  return key === 'symbol' || key === 'directionSince' ? 'asc' : 'desc';
}

export type Band = 'bull' | 'bear' | 'neutral';

/** The colour of a published direction label: the table never re-thresholds a score itself (labels carry hysteresis). */
export function toneOf(direction: Direction | null): Band | null {
  return direction === null ? null : direction === 'Bullish' ? 'bull' : direction === 'Bearish' ? 'bear' : 'neutral';
}

/** A 0–100 component score's colour (components have no label of their own): above 60 bull, below 40 bear. */
export function band(score: number | null): Band | null {
  if (score === null) return null;
  return score >= BULLISH_AT ? 'bull' : score <= BEARISH_AT ? 'bear' : 'neutral';
}

/** The label a row changed into since the previous generation, when the analyzer's direction changed. */
export function crossedInto(prev: Direction | null, next: Direction | null): Band | null {
  return prev !== null && next !== null && prev !== next ? toneOf(next) : null;
}
