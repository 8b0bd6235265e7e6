import { EventEmitter } from 'node:events';
import { type Cache, CacheCorruptValueError, CacheUnavailableError } from '@confluence/cache';
import {
  type Envelope,
  type HeartbeatData,
  type Keys,
  type Kind,
  type MarketSource,
  type OverviewData,
  type RejectedValue,
  type ShardId,
  type Status,
  type SymbolRow,
  type SymbolsData,
  computeOverview,
  decodeEnvelope,
  decodeSymbolsLenient,
} from '@confluence/contracts';
import { type Logger, createRateLimitedLog, errorMessage } from '@confluence/logger';
import { MAX_CLOCK_SKEW_MS, type ShardView, deriveStatus } from './status';

/** One consistent view of the table: rows and overview of the same generation(s), serialised once. */
export interface TableSnapshot {
  /** Identity of the view: analyzer id and generation per shard; changes exactly when the data does. */
  readonly id: string;
  readonly generation: number;
  readonly producedAt: number;
  readonly source: MarketSource;
  readonly symbols: SymbolsData;
  readonly overview: OverviewData;
  readonly bySymbol: ReadonlyMap<string, SymbolRow>;
  /** JSON of `symbols` and `overview`, built once per view. */
  readonly symbolsJson: string;
  readonly overviewJson: string;
}

interface ShardSlot {
  shard: ShardId;
  heartbeat: Envelope<'heartbeat'> | null;
  table: Envelope<'symbols'> | null;
  overview: Envelope<'overview'> | null;
  /** identity of heartbeat last used to fetch the table */
  fetchedFor: string | null;
}

export interface ReaderOptions {
  cache: Cache;
  keys: Keys;
  logger: Logger;
  defaultPublishIntervalMs: number;
  now?: () => number;
}

export interface ReaderEvents {
  snapshot: [TableSnapshot];
  status: [Status];
}

const identity = (e: Envelope | null): string => (e ? `${e.analyzerId}@${e.generation}` : '-');

/** A rejected value is logged at most once per key per this interval (a poisoned key is seen on every poll). */
export const REJECT_LOG_INTERVAL_MS = 60_000;
/** Rejected values kept for the status: every response carries the list, so it must stay small whatever is in the cache. */
export const MAX_REJECTED = 20;

/** What a read found: bytes, nothing (null), or a value whose framing is broken (already recorded as rejected). */
const CORRUPT = Symbol('corrupt');
type RawRead = Buffer | null | typeof CORRUPT;

/**
 * Reads Memcached for new generations (one poll at a time; the loop is poller.ts) and holds the last good view. It never mixes generations:
 * a table and an overview are only combined when their generations match (per shard).
 */
export class Reader extends EventEmitter<ReaderEvents> {
  private readonly opts: Required<ReaderOptions>;
  private slots: ShardSlot[] = [{ shard: { index: 0, count: 1 }, heartbeat: null, table: null, overview: null, fetchedFor: null }];
  private current: TableSnapshot | null = null;
  private cacheReachable = true;
  private cacheCheckedAt: number | null = null;
  private everReached = false;
  private readonly rejected = new Map<string, RejectedValue>();
  private droppedRows = 0;
  private polling: Promise<void> | null = null;
  private statusKey = '';
  private statusCache: { at: number; status: Status } | null = null;
  private readonly throttledLog: ReturnType<typeof createRateLimitedLog>;

  constructor(options: ReaderOptions) {
    super();
    this.opts = { now: Date.now, ...options };
    this.throttledLog = createRateLimitedLog(this.opts.logger, REJECT_LOG_INTERVAL_MS, () => this.opts.now());
  }

  /** Resolves once the poll in flight, if any, is done. */
  async settled(): Promise<void> {
    await this.polling;
  }

  snapshot(): TableSnapshot | null {
    return this.current;
  }

  isCacheReachable(): boolean {
    return this.cacheReachable;
  }

  /** The current status; cached for a short moment so a burst of requests shares one object. */
  status(): Status {
    const now = this.opts.now();
    if (this.statusCache && now - this.statusCache.at < 100) return this.statusCache.status;
    const status = this.computeStatus(now);
    this.statusCache = { at: now, status };
    return status;
  }

  /** Records a value under one of our keys that did not validate; the status reports it. Logged at a bounded rate. */
  reject(key: string, reason: string, detail: string): void {
    const message = detail.slice(0, 300);
    this.throttledLog('warn', `rejected:${key}`, 'rejected cache value', { key, reason, detail: message });
    const held = this.rejected.get(key);
    if (held && held.reason === reason && held.message === message) return;
    this.statusCache = null;
    this.rejected.delete(key);
    // The oldest entry makes room: a cache full of poisoned keys cannot grow every response.
    if (this.rejected.size >= MAX_REJECTED) this.rejected.delete(this.rejected.keys().next().value as string);
    this.rejected.set(key, { key, reason, message });
  }

  /** The publish interval the analyzer states in its heartbeat (the configured one until a heartbeat is seen). */
  publishIntervalMs(): number {
    const intervals = this.slots.map((s) => s.heartbeat?.data.publishIntervalMs ?? 0).filter((n) => n > 0);
    return intervals.length ? Math.max(...intervals) : this.opts.defaultPublishIntervalMs;
  }

  /** Reads one key; broken framing is recorded as a rejected value and answered with CORRUPT. Throws only when Memcached is down. */
  private async readRaw(key: string): Promise<RawRead> {
    try {
      return await this.opts.cache.get(key);
    } catch (err) {
      if (!(err instanceof CacheCorruptValueError)) throw err;
      this.reject(key, err.reason, err.message);
      return CORRUPT;
    }
  }

  /** A value stamped later than now (beyond the allowed clock skew) cannot be judged by its age: it is rejected. */
  private fromTheFuture(key: string, envelope: Envelope): boolean {
    const now = this.opts.now();
    const stamps: Array<[string, number]> = [['producedAt', envelope.producedAt]];
    if (envelope.kind === 'heartbeat') {
      const hb = envelope.data as HeartbeatData;
      stamps.push(['lastCycleAt', hb.lastCycleAt], ['startedAt', hb.startedAt]);
    }
    const future = stamps.find(([, t]) => t > now + MAX_CLOCK_SKEW_MS);
    if (!future) return false;
    this.reject(
      key,
      'future_timestamp',
      `${future[0]} is ${Math.round((future[1] - now) / 1000)} s in the future (more than the ${MAX_CLOCK_SKEW_MS / 1000} s allowed for clock skew)`,
    );
    return true;
  }

  /** Decodes and checks one stored value; null (and recorded as rejected) when it is not acceptable. */
  private decodeChecked<K extends Kind>(kind: K, key: string, raw: Buffer): Envelope<K> | null {
    const result = decodeEnvelope(kind, raw);
    if (!result.ok) {
      this.reject(key, result.reason, result.message);
      return null;
    }
    if (this.fromTheFuture(key, result.envelope)) return null;
    this.accept(key);
    return result.envelope;
  }

  accept(key: string): void {
    if (this.rejected.delete(key)) this.statusCache = null;
  }

  markCache(ok: boolean, err?: unknown): void {
    const was = this.cacheReachable;
    this.cacheReachable = ok;
    if (was !== ok) this.statusCache = null;
    if (ok) {
      this.cacheCheckedAt = this.opts.now();
      this.everReached = true;
    }
    if (was !== ok) {
      if (ok) this.opts.logger.info('memcached reachable again');
      else this.opts.logger.warn('memcached unreachable', { error: errorMessage(err) });
    }
  }

  /** Reads and validates one envelope; a bad value is recorded and treated as absent. Throws only when Memcached is down. */
  async readEnvelope<K extends Kind>(kind: K, key: string): Promise<{ envelope: Envelope<K>; raw: Buffer } | null> {
    const raw = await this.readRaw(key);
    if (raw === CORRUPT) return null;
    if (raw === null) {
      this.accept(key);
      return null;
    }
    const envelope = this.decodeChecked(kind, key, raw);
    return envelope ? { envelope, raw } : null;
  }

  pollOnce(): Promise<void> {
    if (!this.polling) {
      this.polling = this.poll().finally(() => {
        this.polling = null;
      });
    }
    return this.polling;
  }

  private async poll(): Promise<void> {
    const { keys } = this.opts;
    try {
      const shardsEnv = await this.readEnvelope('shards', keys.shards());
      const count = shardsEnv ? shardsEnv.envelope.data.count : 1;
      if (count !== this.slots.length || this.slots[0].shard.count !== count) {
        this.slots = Array.from({ length: count }, (_, index) => ({ shard: { index, count }, heartbeat: null, table: null, overview: null, fetchedFor: null }));
      }
      const hbKeys = this.slots.map((s) => keys.heartbeat(s.shard));
      const hbRaw = await Promise.all(hbKeys.map((k) => this.readRaw(k)));
      let changed = false;
      for (const [i, slot] of this.slots.entries()) {
        const key = hbKeys[i];
        const raw = hbRaw[i];
        let hb: Envelope<'heartbeat'> | null = null;
        if (raw === null) this.accept(key);
        else if (raw !== CORRUPT) hb = this.decodeChecked('heartbeat', key, raw);
        slot.heartbeat = hb;
        const want = hb ? identity(hb) : 'no-heartbeat';
        // Without a heartbeat nothing announces a new generation: look at the table itself on every poll.
        if (slot.fetchedFor !== want || !slot.table || !hb) {
          if (await this.fetchTable(slot)) {
            slot.fetchedFor = want;
            changed = true;
          }
        }
      }
      this.markCache(true);
      if (changed) this.rebuild();
    } catch (err) {
      if (err instanceof CacheUnavailableError) this.markCache(false, err);
      else this.throttledLog('error', 'poll', 'reader poll failed', { error: errorMessage(err) });
    }
    this.emitStatusIfChanged();
  }

  /** Fetches one shard's table and overview; true when a consistent pair (or a definite absence) was read. */
  private async fetchTable(slot: ShardSlot): Promise<boolean> {
    const { keys } = this.opts;
    const symbolsKey = keys.symbols(slot.shard);
    const overviewKey = keys.overview(slot.shard);
    const [rawSymbols, rawOverview] = await Promise.all([this.readRaw(symbolsKey), this.readRaw(overviewKey)]);
    // A broken table is rejected (recorded by readRaw): keep the last good one, which then ages into "stale".
    if (rawSymbols === CORRUPT) return false;
    if (rawSymbols === null) {
      this.accept(symbolsKey);
      // Keys gone (Memcached restarted, or TTL): keep what we hold and report it by age.
      return slot.table !== null || slot.heartbeat !== null;
    }
    const decoded = decodeSymbolsLenient(rawSymbols);
    if (!decoded.ok) {
      this.reject(symbolsKey, decoded.reason, decoded.message);
      return false;
    }
    if (this.fromTheFuture(symbolsKey, decoded.value.envelope)) return false;
    this.accept(symbolsKey);
    if (decoded.value.droppedRows > 0) {
      this.reject(`${symbolsKey}#rows`, 'bad_rows', `${decoded.value.droppedRows} row(s) dropped: ${decoded.value.firstProblem}`);
    } else this.accept(`${symbolsKey}#rows`);
    this.droppedRows = decoded.value.droppedRows;
    const table = decoded.value.envelope;
    let overview: Envelope<'overview'> | null = null;
    if (rawOverview === null) this.accept(overviewKey);
    else if (rawOverview !== CORRUPT) overview = this.decodeChecked('overview', overviewKey, rawOverview);
    // The overview must be of the same generation as the table; otherwise we are between two writes: try again next poll.
    if (overview && identity(overview) !== identity(table)) return false;
    slot.table = table;
    slot.overview = overview;
    return true;
  }

  private rebuild(): void {
    const present = this.slots.filter((s): s is ShardSlot & { table: Envelope<'symbols'> } => s.table !== null);
    if (present.length === 0) return;
    let rows: SymbolRow[];
    let overview: OverviewData;
    if (present.length === 1 && this.slots.length === 1) {
      rows = present[0].table.data.rows;
      // A dropped row must not be counted in the overview either: recompute when any was dropped or the overview is bad.
      overview = present[0].overview && this.droppedRows === 0 ? present[0].overview.data : computeOverview(rows);
    } else {
      rows = present.flatMap((s) => s.table.data.rows).sort((a, b) => a.symbol.localeCompare(b.symbol));
      overview = computeOverview(rows);
    }
    const pending = present.flatMap((s) => s.table.data.pending);
    const dropped = present.reduce((n, s) => n + s.table.data.dropped, 0) + this.droppedRows;
    const symbols: SymbolsData = { rows, pending, dropped };
    const newest = present.reduce((a, b) => (a.table.producedAt >= b.table.producedAt ? a : b)).table;
    const id = present.map((s) => identity(s.table)).join(',');
    if (this.current && this.current.id === id) return;
    this.current = {
      id,
      generation: present.length === 1 ? present[0].table.generation : Math.max(...present.map((s) => s.table.generation)),
      producedAt: Math.min(...present.map((s) => s.table.producedAt)),
      source: newest.source,
      symbols,
      overview,
      bySymbol: new Map(rows.map((r) => [r.symbol, r])),
      symbolsJson: JSON.stringify(symbols),
      overviewJson: JSON.stringify(overview),
    };
    this.emit('snapshot', this.current);
  }

  /**
   * The status of a response that carries `envelope` besides the table: stale when that value is older than
   * `staleAfterMs`, whatever the heartbeat says.
   */
  statusFor(envelope: Envelope | null, staleAfterMs: number): Status {
    if (!envelope) return this.status();
    return this.computeStatus(this.opts.now(), { producedAt: envelope.producedAt, staleAfterMs });
  }

  private computeStatus(now: number, value: { producedAt: number; staleAfterMs: number } | null = null): Status {
    const views: ShardView[] = this.slots
      .filter((s) => s.heartbeat || s.table || this.slots.length > 1)
      .map((s) => ({
        index: s.shard.index,
        count: s.shard.count,
        heartbeat: s.heartbeat ? (s.heartbeat.data as HeartbeatData) : null,
        heartbeatProducedAt: s.heartbeat ? s.heartbeat.producedAt : null,
        hasTable: s.table !== null,
        symbolCount: s.table ? s.table.data.rows.length : 0,
      }));
    const cur = this.current;
    return deriveStatus({
      now,
      cacheReachable: this.cacheReachable && this.everReached,
      cacheCheckedAt: this.cacheCheckedAt,
      shards: views.filter((v) => v.heartbeat || v.hasTable).length ? views : [],
      source: cur ? cur.source : (this.slots.find((s) => s.heartbeat)?.heartbeat?.source ?? null),
      generation: cur ? cur.generation : null,
      tableProducedAt: cur ? cur.producedAt : null,
      defaultPublishIntervalMs: this.opts.defaultPublishIntervalMs,
      rejected: [...this.rejected.values()],
      value,
    });
  }

  private emitStatusIfChanged(): void {
    const status = this.computeStatus(this.opts.now());
    this.statusCache = { at: status.now, status };
    // Ages change every poll; the event is about a change of state, flags, generation or problems.
    const key = JSON.stringify([
      status.state,
      status.simulated,
      status.feedDown,
      status.generation,
      status.rejected.length,
      status.shards?.map((s) => s.state),
      status.warmup,
    ]);
    if (key !== this.statusKey) {
      this.statusKey = key;
      this.emit('status', status);
    }
  }
}
