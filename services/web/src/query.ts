import { z } from 'zod';
import { DIRECTIONS, type SortKey, SORT_KEYS, type SymbolRow, defaultOrder, sortRows } from '@confluence/contracts';
import { HttpError } from './http-errors';

/** Every sort key of the dashboard's table: the rules (values, default orders) are the shared ones. */
export const SORT_COLUMNS = SORT_KEYS as [SortKey, ...SortKey[]];
export type SortColumn = SortKey;

export const symbolsQuerySchema = z
  .object({
    sort: z.enum(SORT_COLUMNS, { error: `sort must be one of ${SORT_COLUMNS.join(', ')}` }).optional(),
    order: z.enum(['asc', 'desc'], { error: 'order must be asc or desc' }).optional(),
    direction: z.enum(DIRECTIONS, { error: `direction must be one of ${DIRECTIONS.join(', ')}` }).optional(),
    q: z
      .string()
      .regex(/^[A-Za-z0-9]{1,30}$/, 'q must be 1-30 letters or digits')
      .optional(),
    limit: z
      .string()
      .regex(/^\d{1,4}$/, 'limit must be an integer 1-1000')
      .transform(Number)
      .pipe(z.number().int().min(1, 'limit must be 1-1000').max(1000, 'limit must be 1-1000'))
      .optional(),
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
    const message =
      issue?.code === 'unrecognized_keys'
        ? `unknown parameter(s): ${issue.keys.map((k) => JSON.stringify(k.slice(0, 40))).join(', ')}`
        : (issue?.message ?? 'invalid parameter');
    throw new HttpError(400, 'bad_parameter', message);
  }
  return r.data;
}

/** Filters, sorts (by the rules the dashboard's table sorts by) and limits the table's rows. */
export function applySymbolsQuery(rows: readonly SymbolRow[], q: SymbolsQuery): SymbolRow[] {
  let out = rows.filter((r) => (!q.direction || r.direction === q.direction) && (!q.q || r.symbol.includes(q.q.toUpperCase())));
  if (q.sort) out = sortRows(out, q.sort, q.order ?? defaultOrder(q.sort));
  return q.limit ? out.slice(0, q.limit) : out;
}
