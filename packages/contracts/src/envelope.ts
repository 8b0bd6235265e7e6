import {
  type DataByKind,
  type Envelope,
  type Kind,
  LIMITS,
  type MarketSource,
  SCHEMA_VERSION,
  type SymbolRow,
  dataSchemas,
  envelopeHeaderSchema,
  symbolRowSchema,
  symbolsDataSchema,
} from './schemas';

export interface EnvelopeMeta {
  generation: number;
  producedAt: number;
  analyzerId: string;
  source: MarketSource;
}

export function makeEnvelope<K extends Kind>(kind: K, meta: EnvelopeMeta, data: DataByKind[K]): Envelope<K> {
  return { schema: SCHEMA_VERSION, kind, generation: meta.generation, producedAt: meta.producedAt, analyzerId: meta.analyzerId, source: meta.source, data };
}

/** Why a stored value was not accepted. Readers report these in their status instead of rendering the value. */
export type RejectReason = 'not_json' | 'bad_envelope' | 'newer_schema' | 'older_schema' | 'wrong_kind' | 'bad_data';

export type DecodeResult<K extends Kind> = { ok: true; envelope: Envelope<K> } | { ok: false; reason: RejectReason; message: string; schema?: number };

/**
 * Parses and validates one stored value as an envelope of the expected kind.
 * Never throws: a bad value is an answer, not an exception.
 */
export function decodeEnvelope<K extends Kind>(kind: K, raw: Buffer | string, options: { validateData?: boolean } = {}): DecodeResult<K> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof raw === 'string' ? raw : raw.toString('utf8'));
  } catch (err) {
    return { ok: false, reason: 'not_json', message: `value is not JSON: ${(err as Error).message}` };
  }
  return validateEnvelope(kind, parsed, options);
}

export function validateEnvelope<K extends Kind>(kind: K, parsed: unknown, options: { validateData?: boolean } = {}): DecodeResult<K> {
  const header = envelopeHeaderSchema.safeParse(parsed);
  if (!header.success) {
    const schema = typeof parsed === 'object' && parsed !== null ? (parsed as { schema?: unknown }).schema : undefined;
    if (typeof schema === 'number' && schema > SCHEMA_VERSION) {
      return { ok: false, reason: 'newer_schema', message: `schema ${schema} is newer than this reader's ${SCHEMA_VERSION}`, schema };
    }
    return { ok: false, reason: 'bad_envelope', message: `not an envelope: ${header.error.issues[0]?.message ?? 'invalid'}` };
  }
  const h = header.data;
  if (h.schema > SCHEMA_VERSION) {
    return { ok: false, reason: 'newer_schema', message: `schema ${h.schema} is newer than this reader's ${SCHEMA_VERSION}`, schema: h.schema };
  }
  if (h.schema < SCHEMA_VERSION) {
    return { ok: false, reason: 'older_schema', message: `schema ${h.schema} is older than this reader's ${SCHEMA_VERSION}`, schema: h.schema };
  }
  if (h.kind !== kind) return { ok: false, reason: 'wrong_kind', message: `expected kind ${kind}, found ${h.kind}` };
  if (options.validateData !== false) {
    const data = dataSchemas[kind].safeParse(h.data);
    if (!data.success) {
      const issue = data.error.issues[0];
      return { ok: false, reason: 'bad_data', message: `invalid ${kind} data at ${issue?.path.join('.') ?? '?'}: ${issue?.message ?? 'invalid'}` };
    }
    return { ok: true, envelope: { ...h, kind, data: data.data as DataByKind[K] } };
  }
  return { ok: true, envelope: { ...h, kind, data: h.data as DataByKind[K] } };
}

export function encodeEnvelope(envelope: Envelope): string {
  return JSON.stringify(envelope);
}

/**
 * The same bytes as `encodeEnvelope(makeEnvelope(kind, meta, data))` when the data is already serialised
 * (the publisher serialises each detail once, for change detection, and reuses that JSON here).
 */
export function encodeEnvelopeJson(kind: Kind, meta: EnvelopeMeta, dataJson: string): string {
  const head = JSON.stringify({
    schema: SCHEMA_VERSION,
    kind,
    generation: meta.generation,
    producedAt: meta.producedAt,
    analyzerId: meta.analyzerId,
    source: meta.source,
  });
  return `${head.slice(0, -1)},"data":${dataJson}}`;
}

export interface LenientSymbols {
  envelope: Envelope<'symbols'>;
  /** Rows that failed validation (a bad symbol, a score out of range) and were dropped, not rendered. */
  droppedRows: number;
  firstProblem: string | null;
}

/**
 * Decodes a `symbols` table row by row: one bad row is dropped and counted rather than hiding the whole table.
 * Envelope-level problems (not JSON, unknown schema, wrong kind) still reject the value.
 */
export function decodeSymbolsLenient(
  raw: Buffer | string,
): { ok: true; value: LenientSymbols } | { ok: false; reason: RejectReason; message: string; schema?: number } {
  const head = decodeEnvelope('symbols', raw, { validateData: false });
  if (!head.ok) return head;
  const data = head.envelope.data as unknown as { rows?: unknown; pending?: unknown; dropped?: unknown };
  if (!data || typeof data !== 'object' || !Array.isArray(data.rows)) return { ok: false, reason: 'bad_data', message: 'symbols data has no rows array' };
  if (data.rows.length > LIMITS.rows)
    return { ok: false, reason: 'bad_data', message: `symbols data has ${data.rows.length} rows; at most ${LIMITS.rows} are accepted` };
  const rows: SymbolRow[] = [];
  let dropped = 0;
  let firstProblem: string | null = null;
  for (const row of data.rows) {
    const r = symbolRowSchema.safeParse(row);
    if (r.success) rows.push(r.data);
    else {
      dropped++;
      firstProblem ??= `row ${dropped}: ${r.error.issues[0]?.path.join('.')} ${r.error.issues[0]?.message}`;
    }
  }
  const pendingParsed = symbolsDataSchema.shape.pending.safeParse(data.pending ?? []);
  const producerDropped = typeof data.dropped === 'number' && Number.isInteger(data.dropped) && data.dropped >= 0 ? data.dropped : 0;
  return {
    ok: true,
    value: {
      envelope: { ...head.envelope, data: { rows, pending: pendingParsed.success ? pendingParsed.data : [], dropped: producerDropped } },
      droppedRows: dropped,
      firstProblem,
    },
  };
}
