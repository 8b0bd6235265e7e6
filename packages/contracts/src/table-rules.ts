/**
 * How the symbols table sorts, in one place for the API (`/api/symbols?sort=`) and the dashboard's table, so the
 * two cannot disagree. Zod-free and DOM-free: the browser bundle imports it through `@confluence/contracts/rules`.
 *
 * Each sort key has one rule: the value a row is ranked by, the order a first click sorts in, and the noise below
 * which the dashboard does not move a row (one-second jitter; the API ignores it).
 */
import type { SymbolRow } from './schemas';
import { COMPONENT_NAMES, type ComponentName, type Direction } from './names';

export type SortOrder = 'asc' | 'desc';
export type SortValue = number | string | null;

export interface SortRule {
  /** What a row is ranked by; null sorts last whatever the order. */
  readonly value: (row: SymbolRow) => SortValue;
  /** The order of the first click on the column (and of the API when `order` is not given). */
  readonly defaultOrder: SortOrder;
  /** How far the value must move before the dashboard moves the row, given the value it was placed by. */
  readonly noise: (placedAt: number) => number;
}

/** Bearish < Neutral < Bullish, and by score inside each label: descending puts the strongest bulls first. */
export const DIRECTION_RANK: Readonly<Record<Direction, number>> = { Bearish: 0, Neutral: 1, Bullish: 2 };

interface OpenInterestLike {
  readonly openInterest: number | null;
  readonly price: number | null;
  readonly openInterestValue?: number | null;
}

/** Open interest in quote currency (USDT), so symbols compare in one unit: the published value, else OI × price. */
export function openInterestValue(r: OpenInterestLike): number | null {
  if (r.openInterestValue !== undefined && r.openInterestValue !== null) return r.openInterestValue;
  if (r.openInterest !== null && r.price !== null) return r.openInterest * r.price;
  return null;
}

interface FundingLike {
  readonly fundingRate: number | null;
  readonly funding?: { readonly rate8h: number } | null;
}

/** The funding rate as an 8-hour equivalent: a 1-hour contract's printed rate is not comparable with an 8-hour one's. */
export function fundingPer8h(r: FundingLike): number | null {
  return r.funding ? r.funding.rate8h : r.fundingRate;
}

const relative = (share: number) => (v: number) => Math.abs(v) * share;
const fixed = (step: number) => () => step;
const desc = (value: SortRule['value'], noise: SortRule['noise']): SortRule => ({ value, defaultOrder: 'desc', noise });

const componentRules = Object.fromEntries(COMPONENT_NAMES.map((c) => [c, desc((r) => r.components[c], fixed(1))])) as Record<ComponentName, SortRule>;

/** Every key the table and the API sort by. Scores move by a point of noise, prices, turnover and OI by 0.5 %. */
export const SORT_RULES = {
  symbol: { value: (r) => r.symbol, defaultOrder: 'asc', noise: fixed(0) },
  score: desc((r) => r.score, fixed(1)),
  direction: desc((r) => (r.direction === null ? null : DIRECTION_RANK[r.direction] * 1000 + (r.score ?? 0)), fixed(1)),
  confidence: desc((r) => r.confidence, fixed(0.02)),
  price: desc((r) => r.price, relative(0.005)),
  change24h: desc((r) => r.change24h, fixed(0.002)),
  turnover24h: desc((r) => r.turnover24h, relative(0.005)),
  volume24h: desc((r) => r.volume24h, relative(0.005)),
  fundingRate: desc(fundingPer8h, fixed(0.00002)),
  openInterest: desc(openInterestValue, relative(0.005)),
  updatedAt: desc((r) => r.updatedAt, fixed(5_000)),
  scoreDelta: desc((r) => (r.lastMove ? r.lastMove.delta : null), fixed(1)),
  change15m: desc((r) => r.scoreChange15m ?? null, fixed(1)),
  change1h: desc((r) => r.scoreChange1h ?? null, fixed(1)),
  // The label held longest first: the oldest `since` timestamp.
  directionSince: { value: (r) => r.directionSince ?? null, defaultOrder: 'asc', noise: fixed(0) },
  ...componentRules,
} satisfies Record<string, SortRule>;

export type SortKey = keyof typeof SORT_RULES;
export const SORT_KEYS = Object.keys(SORT_RULES) as SortKey[];

export function isSortKey(v: unknown): v is SortKey {
  return typeof v === 'string' && Object.hasOwn(SORT_RULES, v);
}

export function sortValue(row: SymbolRow, key: SortKey): SortValue {
  return SORT_RULES[key].value(row);
}

export function defaultOrder(key: SortKey): SortOrder {
  return SORT_RULES[key].defaultOrder;
}

export function sortNoise(key: SortKey, placedAt: number): number {
  return SORT_RULES[key].noise(placedAt);
}

function bySymbol(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Compares two rows' sort values: missing values last whatever the order, ties by symbol (A→Z). */
export function compareSortValues(a: SortValue, aSymbol: string, b: SortValue, bSymbol: string, order: SortOrder): number {
  if (a === null || b === null) return a === b ? bySymbol(aSymbol, bSymbol) : a === null ? 1 : -1;
  const c = typeof a === 'string' || typeof b === 'string' ? bySymbol(String(a), String(b)) : a - b;
  if (c !== 0) return order === 'asc' ? c : -c;
  return bySymbol(aSymbol, bSymbol);
}

/** Rows ordered by `key` (a new array); missing values always sort last, ties by symbol. */
export function sortRows<R extends SymbolRow>(rows: readonly R[], key: SortKey, order: SortOrder = defaultOrder(key)): R[] {
  const keyed = rows.map((r) => ({ r, v: sortValue(r, key) }));
  keyed.sort((a, b) => compareSortValues(a.v, a.r.symbol, b.v, b.r.symbol, order));
  return keyed.map((k) => k.r);
}
