import type { Router } from 'express';
import { sendFast } from '../fast-bodies';
import { HttpError } from '../http-errors';
import { type SymbolsQuery, applySymbolsQuery, parseQuery, symbolsQuerySchema } from '../query';
import { envelopeBody, noQuery, nothingYet, sendEnvelope, sendJsonText, symbolParam } from '../responses';
import { readOnlyRouter, type RouteContext } from './context';

/** The table and what hangs off it: symbols (filtered or whole), overview, movers, one symbol's detail and history. */
export function tableRouter({ reader, keys, fast, onDemand }: RouteContext): Router {
  const router = readOnlyRouter();
  router.get('/api/symbols', (req, res) => {
    const query = req.query as Record<string, unknown>;
    if (Object.keys(query).length === 0) {
      if (nothingYet(reader, res)) return;
      sendFast(req, res, fast.current().symbols);
      return;
    }
    const q: SymbolsQuery = parseQuery(symbolsQuerySchema, query);
    if (nothingYet(reader, res)) return;
    const snap = reader.snapshot();
    const data = snap ? { ...snap.symbols, rows: applySymbolsQuery(snap.symbols.rows, q) } : null;
    sendJsonText(res, envelopeBody(reader.status(), snap, data ? JSON.stringify(data) : null));
  });
  router.get('/api/overview', (req, res) => {
    noQuery(req);
    if (nothingYet(reader, res)) return;
    sendFast(req, res, fast.current().overview);
  });
  router.get('/api/movers', (req, res) => {
    noQuery(req);
    if (nothingYet(reader, res)) return;
    const snap = reader.snapshot();
    const movers = snap ? { gainers: snap.overview.gainers, losers: snap.overview.losers, scoreMovers: snap.overview.scoreMovers } : null;
    sendJsonText(res, envelopeBody(reader.status(), snap, movers ? JSON.stringify(movers) : null));
  });
  router.get('/api/symbols/:symbol', async (req, res) => {
    noQuery(req);
    const symbol = symbolParam(req);
    const { envelope } = await onDemand.read('symbol', keys.symbol(symbol));
    if (!envelope) {
      const known = reader.snapshot()?.bySymbol.has(symbol);
      // Tracked but not scored yet (warming up): an answer with no data, and the status says why.
      if (known) return sendEnvelope(reader, res, null, null);
      throw new HttpError(404, 'unknown_symbol', `${symbol} is not tracked`);
    }
    sendEnvelope(reader, res, envelope, envelope.data, true);
  });
  router.get('/api/symbols/:symbol/history', async (req, res) => {
    noQuery(req);
    const symbol = symbolParam(req);
    const { envelope } = await onDemand.read('history', keys.history(symbol));
    if (!envelope) {
      if (reader.snapshot()?.bySymbol.has(symbol)) return sendEnvelope(reader, res, null, { symbol, points: [] });
      throw new HttpError(404, 'unknown_symbol', `${symbol} is not tracked`);
    }
    sendEnvelope(reader, res, envelope, envelope.data);
  });
  return router;
}
