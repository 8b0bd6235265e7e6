// Filtering, the rows-hold-still ordering and threshold logic for the symbols table. Pure: no DOM. The sort rules
// themselves (values, default orders, noise) are the server's: `@confluence/contracts/rules`.
import {
  type SortKey,
  type SortOrder,
  type SortValue,
  compareSortValues,
  defaultOrder,
  isSortKey,
  openInterestValue,
  sortNoise,
  sortRows,
  sortValue,
} from '@confluence/contracts/rules';
import type { Direction, SymbolRow } from './types.js';
import { BEARISH_AT, BULLISH_AT } from './types.js';

export type DirectionFilter = Direction | 'all';

export interface TableQuery {
  sort: SortKey;
  order: SortOrder;
  direction: DirectionFilter;
  text: string;
}

export const DEFAULT_QUERY: TableQuery = { sort: 'score', order: 'desc', direction: 'all', text: '' };

export { defaultOrder, isSortKey, openInterestValue, sortNoise, sortRows };
export type { SortKey, SortOrder };

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
  keyed.sort((a, b) => compareSortValues(a.v, a.r.symbol, b.v, b.r.symbol, order));
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
