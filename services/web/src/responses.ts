import type { Request, Response } from 'express';
import { type ApiEnvelope, type Envelope, REWRITE_UNCHANGED_MS, type Status, isValidSymbol } from '@confluence/contracts';
import { HttpError } from './http-errors';
import { parseQuery, symbolsQuerySchema } from './query';
import type { Reader } from './reader';
import { STALE_AFTER_INTERVALS } from './status';

export const JSON_TYPE = 'application/json; charset=utf-8';

/** An API envelope as text, the data already serialised (the table's JSON is built once per view). */
export function envelopeBody(status: Status, envelope: { generation: number; producedAt: number } | null, dataJson: string | null): string {
  return `{"status":${JSON.stringify(status)},"generation":${envelope ? envelope.generation : null},"producedAt":${envelope ? envelope.producedAt : null},"data":${dataJson ?? 'null'}}`;
}

export function sendJsonText(res: Response, text: string): void {
  res.type(JSON_TYPE).set('Cache-Control', 'no-store').send(text);
}

/**
 * `rewritten`: the value is rewritten at least every REWRITE_UNCHANGED_MS while the analyzer runs, so the response
 * judges it by its own age; values written only when they change (history, minute snapshots) are not.
 */
export function sendEnvelope<T>(reader: Reader, res: Response, envelope: Envelope | null, data: T | null, rewritten = false): void {
  const status = rewritten ? reader.statusFor(envelope, REWRITE_UNCHANGED_MS + STALE_AFTER_INTERVALS * reader.publishIntervalMs()) : reader.status();
  const out: ApiEnvelope<T> = { status, generation: envelope ? envelope.generation : null, producedAt: envelope ? envelope.producedAt : null, data };
  sendJsonText(res, JSON.stringify(out));
}

/** 503 when nothing can be served; the body still carries the status that explains why. */
export function nothingYet(reader: Reader, res: Response): boolean {
  if (reader.snapshot()) return false;
  const status = reader.status();
  res
    .status(503)
    .type(JSON_TYPE)
    .set('Cache-Control', 'no-store')
    .send(JSON.stringify({ error: { code: status.state, message: status.message }, status }));
  return true;
}

export function symbolParam(req: Request): string {
  const raw = req.params.symbol;
  const symbol = typeof raw === 'string' ? raw : '';
  if (!isValidSymbol(symbol)) throw new HttpError(400, 'bad_parameter', 'symbol must be 2-30 characters A-Z or 0-9');
  return symbol;
}

/** A route that takes no query parameters refuses any. */
export function noQuery(req: Request): void {
  parseQuery(symbolsQuerySchema.pick({}), req.query as Record<string, unknown>);
}
