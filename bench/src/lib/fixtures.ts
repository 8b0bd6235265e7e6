// One analyzer cycle's output for N symbols, computed by the real engine over a synthetic market, so the table,
// details and overview have the sizes and shapes of production values.
import { createEngine } from '@confluence/confluence';
import { computeOverview, type HeartbeatData, type SymbolDetail, type SymbolRow } from '@confluence/contracts';
import { MoveTracker, scoreAll, toDetail, toRow, type CycleOutput } from '@confluence/analyzer';
import { SyntheticMarket, symbolNames } from './market';

export interface Fixture {
  symbols: string[];
  rows: SymbolRow[];
  details: Map<string, SymbolDetail>;
}

export async function buildFixture(n: number, seed = 3): Promise<Fixture> {
  const market = new SyntheticMarket({ symbols: symbolNames(n), seed });
  const engine = createEngine();
  const moves = new MoveTracker();
  const source = market.source();
  // Two cycles a minute apart, so rows carry a "last move" like a running analyzer's.
  for (const x of await scoreAll(engine, source, market.now())) moves.update(x.symbol, x.result, market.now());
  for (let i = 0; i < 60; i++) market.advance(1000);
  const scored = await scoreAll(engine, source, market.now());
  const rows: SymbolRow[] = [];
  const details = new Map<string, SymbolDetail>();
  for (const s of scored) {
    const move = moves.update(s.symbol, s.result, market.now());
    rows.push(toRow(s, move));
    const d = toDetail(s, move, null);
    if (d) details.set(s.symbol, d);
  }
  rows.sort((a, b) => a.symbol.localeCompare(b.symbol));
  return { symbols: market.store.symbols(), rows, details };
}

/** The fixture as the cycle output of generation `generation`, produced now; prices nudged by `variant` so every detail changes. */
export function cycleOutput(f: Fixture, generation: number, options: { variant?: number; publishIntervalMs?: number; analyzerId?: string } = {}): CycleOutput {
  const now = Date.now();
  const v = options.variant ?? 0;
  let rows = f.rows;
  let details: ReadonlyMap<string, SymbolDetail> = f.details;
  if (v !== 0) {
    const bump = (p: number | null) => (p === null ? null : Math.round(p * (1 + v * 1e-5) * 1e8) / 1e8);
    rows = f.rows.map((r) => ({ ...r, price: bump(r.price), updatedAt: r.updatedAt + v }));
    const d = new Map<string, SymbolDetail>();
    for (const [k, x] of f.details) d.set(k, { ...x, price: bump(x.price), updatedAt: x.updatedAt + v });
    details = d;
  }
  const heartbeat: HeartbeatData = {
    analyzerId: options.analyzerId ?? 'bench',
    generation,
    startedAt: now - 60_000,
    lastCycleAt: now,
    lastCycleMs: 10,
    publishIntervalMs: options.publishIntervalMs ?? 1000,
    symbolCount: f.symbols.length,
    scoredCount: rows.filter((r) => r.score !== null).length,
    tableComplete: true,
    warmup: { done: f.symbols.length, total: f.symbols.length, complete: true },
    intake: { state: 'connected', connected: true, lastMessageAt: now, reconnects: 0, detail: null },
    shard: null,
  };
  return { generation, producedAt: now, details, symbols: { rows, pending: [], dropped: 0 }, overview: computeOverview(rows), heartbeat };
}
