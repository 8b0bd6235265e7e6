import { type Cache, CacheUnavailableError, getEnvelope } from '@confluence/cache';
import type { Keys, SymbolDetail, SymbolRow } from '@confluence/contracts';
import { HistoryStore } from '../history';
import { type Scored, toDetail, toRow } from '../scoring/cycle';
import type { Signals } from '../signals';
import { MoveTracker } from '../signals/moves';
import { Slicer } from '../slicer';

const HISTORY_LOAD_BATCH = 50;

export interface BuiltRows {
  rows: SymbolRow[];
  details: Map<string, SymbolDetail>;
  pending: string[];
}

/**
 * The published table as rows: scored symbols with their score moves, trends and the direction label's age, and the
 * score/price history sampled from them. Holds the rows of the last scoring (a publish cycle's or a market minute's).
 */
export class Scoreboard {
  readonly history = new HistoryStore();
  private readonly moves = new MoveTracker();
  /** When each symbol's published direction label began (market time), for "Bullish for 12 min". */
  private readonly directionSince = new Map<string, { direction: SymbolRow['direction']; since: number }>();
  private lastHistoryAt = 0;
  /** Rows of the last scoring. */
  rows: SymbolRow[] = [];
  /** History points not yet published. */
  historyDirty = false;

  constructor(
    private readonly signals: Pick<Signals, 'bandRecord'>,
    private readonly historyIntervalMs: number,
  ) {}

  /** The rows, details and pending symbols of one scoring, in one go (the replay's market-minute scoring). */
  build(scored: readonly Scored[], marketNow: number): BuiltRows {
    const built: BuiltRows = { rows: [], details: new Map(), pending: [] };
    for (const s of scored) this.add(built, s, marketNow);
    return this.finish(built);
  }

  /** As `build`, in slices (see Slicer): the publish cycle's, at the full universe some 10–30 ms of work. */
  async buildSliced(scored: readonly Scored[], marketNow: number): Promise<BuiltRows> {
    const built: BuiltRows = { rows: [], details: new Map(), pending: [] };
    const slicer = new Slicer();
    for (const s of scored) {
      await slicer.turn();
      this.add(built, s, marketNow);
    }
    return this.finish(built);
  }

  private add(built: BuiltRows, s: Scored, marketNow: number): void {
    const move = this.moves.update(s.symbol, s.result, marketNow);
    const row = toRow(s, move);
    this.addTrend(row, marketNow);
    built.rows.push(row);
    const detail = toDetail(s, move, this.signals.bandRecord(s.result ? s.result.score : null));
    if (detail) built.details.set(s.symbol, detail);
    if (!s.result) built.pending.push(s.symbol);
  }

  private finish(built: BuiltRows): BuiltRows {
    built.rows.sort((a, b) => a.symbol.localeCompare(b.symbol));
    this.rows = built.rows;
    return built;
  }

  /** The score's change over 15 min and 1 h from the history, and how long the label has held. */
  private addTrend(row: SymbolRow, marketNow: number): void {
    const change = (ms: number): number | null => {
      const then = row.score === null ? null : this.history.scoreAt(row.symbol, marketNow - ms);
      return then === null || row.score === null ? null : Math.round((row.score - then) * 10) / 10;
    };
    row.scoreChange15m = change(15 * 60_000);
    row.scoreChange1h = change(60 * 60_000);
    const held = this.directionSince.get(row.symbol);
    if (row.direction === null) this.directionSince.delete(row.symbol);
    else if (!held || held.direction !== row.direction) this.directionSince.set(row.symbol, { direction: row.direction, since: marketNow });
    row.directionSince = row.direction === null ? null : (this.directionSince.get(row.symbol)?.since ?? null);
  }

  /** Adds the last rows to the history when a history interval has passed since the last point (market time). */
  sampleHistory(ts: number): void {
    if (ts - this.lastHistoryAt < this.historyIntervalMs) return;
    this.lastHistoryAt = ts;
    for (const r of this.rows) if (r.score !== null || r.price !== null) this.history.add(r.symbol, [ts, r.score, r.price]);
    this.historyDirty = true;
  }

  /** Reads `history:*` back for symbols not loaded yet, so a restart keeps the charts. */
  async loadHistories(cache: Cache, keys: Keys, symbols: readonly string[]): Promise<void> {
    const { history } = this;
    const todo = symbols.filter((s) => !history.isLoaded(s)).slice(0, HISTORY_LOAD_BATCH);
    if (!todo.length) return;
    await Promise.all(
      todo.map(async (symbol) => {
        try {
          const stored = await getEnvelope(cache, 'history', keys.history(symbol));
          if (stored?.result.ok) history.restore(symbol, stored.result.envelope.data.points);
          else history.markLoaded(symbol);
        } catch (err) {
          if (!(err instanceof CacheUnavailableError)) history.markLoaded(symbol);
        }
      }),
    );
  }
}
