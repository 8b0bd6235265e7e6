import { EventEmitter } from 'node:events';
import type { Logger } from '@confluence/logger';
import type { MarketStore } from '../state/market-store';
import type { IntakeHealth } from './types';
import type { Warmup } from './warmup';

/** What follows a symbol in or out of the universe besides the store and the warm-up (live: its WebSocket topics). */
export interface UniverseLinks {
  added(symbol: string): void;
  removed(symbol: string): void;
}

const NO_LINKS: UniverseLinks = { added: () => undefined, removed: () => undefined };
/** Symbols removed because their instrument left Trading, kept for the status (newest last). */
const MAX_REMOVED_NOT_TRADING = 20;

/**
 * The tracked symbols and what the instruments answer says of them (price steps, funding intervals). A new list is
 * applied to the store and the warm-up: symbols that only fell in the ranking keep their state for the grace period,
 * symbols whose instrument left Trading are dropped at once.
 */
export class UniverseSet {
  private current: readonly string[] = [];
  private refreshedAt: number | null = null;
  private readonly removedNotTrading: { symbol: string; status: string; at: number }[] = [];
  private readonly emitter = new EventEmitter<{ universe: [readonly string[]] }>();
  /** Price step per symbol from the last instruments fetch. */
  tickSizes: ReadonlyMap<string, number> = new Map();
  /** Funding interval per symbol from the last instruments fetch; applied to the store with the universe. */
  fundingIntervals: ReadonlyMap<string, number> = new Map();

  constructor(
    private readonly store: MarketStore,
    private readonly logger: Logger,
    private readonly graceMs: number,
  ) {}

  symbols(): readonly string[] {
    return this.current;
  }

  onChange(cb: (symbols: readonly string[]) => void): void {
    this.emitter.on('universe', cb);
  }

  /**
   * `notTrading`: instruments that left Trading (Settling, Delivering, Closed…). Their symbols are removed at once and
   * their state dropped; symbols that only fell in the ranking keep their state for the grace period.
   */
  apply(next: readonly string[], notTrading: ReadonlyMap<string, string> = new Map(), warmup?: Warmup, links: UniverseLinks = NO_LINKS): void {
    const { store, logger } = this;
    const nextSet = new Set(next);
    const current = new Set(this.current);
    const removed = this.current.filter((s) => !nextSet.has(s));
    const added = next.filter((s) => !current.has(s));
    for (const s of removed) {
      links.removed(s);
      const status = notTrading.get(s);
      if (status !== undefined || this.graceMs === 0) store.remove(s);
      else store.retire(s);
      if (status !== undefined) this.noteNotTrading(s, status);
    }
    warmup?.remove(removed);
    const fresh: string[] = [];
    const restored: string[] = [];
    for (const s of added) {
      // Kept state skips the warm-up only if that warm-up had finished; otherwise it runs again.
      const kept = store.add(s) === 'restored' && store.status(s)?.warmup === 'done';
      (kept ? restored : fresh).push(s);
      links.added(s);
    }
    warmup?.add(fresh);
    warmup?.addRestored(restored);
    if (restored.length) logger.info('symbols back in the universe with their state kept', { symbols: restored.slice(0, 20) });
    for (const s of next) store.setFundingInterval(s, this.fundingIntervals.get(s));
    const first = this.refreshedAt === null;
    this.current = [...next];
    this.refreshedAt = Date.now();
    if (added.length || removed.length)
      logger.info('universe updated', { size: this.current.length, added: added.slice(0, 20), removed: removed.slice(0, 20) });
    if (first || added.length || removed.length) this.emitter.emit('universe', this.current);
  }

  private noteNotTrading(symbol: string, status: string): void {
    this.removedNotTrading.push({ symbol, status, at: Date.now() });
    if (this.removedNotTrading.length > MAX_REMOVED_NOT_TRADING) this.removedNotTrading.shift();
    this.logger.warn('instrument no longer trading, symbol removed', { symbol, status });
  }

  /** `localClock`: the clock of the receive times (wall live, the recording's in a replay). */
  symbolsHealth(localClock: number): IntakeHealth['symbols'] {
    const updateAgeMs: Record<string, number | null> = {};
    let warm = 0;
    let bookSynced = 0;
    let repairing = 0;
    for (const s of this.current) {
      const st = this.store.status(s);
      if (!st) continue;
      if (st.warm) warm++;
      if (st.bookSynced) bookSynced++;
      if (st.repairing.length) repairing++;
      updateAgeMs[s] = st.lastUpdateAt === null ? null : Math.max(0, localClock - st.lastUpdateAt);
    }
    return { total: this.current.length, warm, bookSynced, repairing, updateAgeMs };
  }

  health(includeTradFi: boolean): IntakeHealth['universe'] {
    return {
      size: this.current.length,
      refreshedAt: this.refreshedAt,
      retained: this.store.retiredCount,
      removedNotTrading: this.removedNotTrading.map((r) => ({ ...r })),
      includeTradFi,
    };
  }
}
