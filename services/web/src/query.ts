import { z } from 'zod';
import { COMPONENT_NAMES, DIRECTIONS, SymbolRow } from '@confluence/contracts';
import { HttpError } from './http-errors';

export const SORT_COLUMNS = [
  'symbol', 'score', 'direction', 'confidence', 'price', 'change24h', 'turnover24h', 'volume24h', 'fundingRate', 'openInterest', 'updatedAt', 'scoreDelta',
  ...COMPONENT_NAMES,
] as const;
export type SortColumn = (typeof SORT_COLUMNS)[number];

export const symbolsQuerySchema = z
  .object({
    sort: z.enum(SORT_COLUMNS, { error: `sort must be one of ${SORT_COLUMNS.join(', ')}` }).optional(),
    order: z.enum(['asc', 'desc'], { error: 'order must be asc or desc' }).optional(),
    direction: z.enum(DIRECTIONS, { error: `direction must be one of ${DIRECTIONS.join(', ')}` }).optional(),
    q: z.string().regex(/^[A-Za-z0-9]{1,30}$/, 'q must be 1-30 letters or digits').optional(),
    limit: z.string().regex(/^\d{1,4}$/, 'limit must be an integer 1-1000').transform(Number).pipe(z.number().int().min(1, 'limit must be 1-1000').max(1000, 'limit must be 1-1000')).optional(),
  })
  .strict();

export interface SymbolsQuery {
  sort?: SortColumn;
  order?: 'asc' | 'desc';
  direction?: (typeof DIRECTIONS)[number];
  q?: string;
  limit?: number;
}

/** Validates query parameters: repeated, unknown or malformed parameters are a 400, never a 500. */
export function parseQuery<T>(schema: z.ZodType<T>, query: Record<string, unknown>): T {
  for (const [k, v] of Object.entries(query)) {
    if (typeof v !== 'string') throw new HttpError(400, 'bad_parameter', `parameter ${JSON.stringify(k.slice(0, 40))} must be given once as a plain value`);
  }
  const r = schema.safeParse(query);
  if (!r.success) {
    const issue = r.error.issues[0];
    const message = issue?.code === 'unrecognized_keys' ? `unknown parameter(s): ${issue.keys.map((k) => JSON.stringify(k.slice(0, 40))).join(', ')}` : (issue?.message ?? 'invalid parameter');
    throw new HttpError(400, 'bad_parameter', message);
  }
  return r.data;
}

function sortValue(row: SymbolRow, col: SortColumn): number | string | null {
  switch (col) {
    case 'symbol':
      return row.symbol;
    case 'direction':
      return row.direction;
    case 'scoreDelta':
      return row.lastMove ? row.lastMove.delta : null;
    case 'technical':
    case 'volume':
    case 'orderflow':
    case 'orderbook':
    case 'structure':
    case 'sentiment':
      return row.components[col];
    default:
      return row[col];
  }
}

export function applySymbolsQuery(rows: readonly SymbolRow[], q: SymbolsQuery): SymbolRow[] {
  let out = rows.filter((r) => (!q.direction || r.direction === q.direction) && (!q.q || r.symbol.includes(q.q.toUpperCase())));
  if (q.sort) {
    const col = q.sort;
    const dir = (q.order ?? (col === 'symbol' ? 'asc' : 'desc')) === 'asc' ? 1 : -1;
    out = out.slice().sort((a, b) => {
      const va = sortValue(a, col);
      const vb = sortValue(b, col);
      // Missing values always sort last, whatever the order.
      if (va === null || vb === null) return va === vb ? a.symbol.localeCompare(b.symbol) : va === null ? 1 : -1;
      const c = typeof va === 'string' || typeof vb === 'string' ? String(va).localeCompare(String(vb)) : va - vb;
      return c !== 0 ? c * dir : a.symbol.localeCompare(b.symbol);
    });
  }
  return q.limit ? out.slice(0, q.limit) : out;
}
