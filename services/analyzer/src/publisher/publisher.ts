import { createHash } from 'node:crypto';
import { type Cache, setEnvelope } from '@confluence/cache';
import {
  encodeEnvelopeJson,
  type HeartbeatData,
  type HistoryData,
  type Keys,
  type MarketSource,
  type OverviewData,
  type ShardId,
  type SymbolDetail,
  type SymbolsData,
  REWRITE_UNCHANGED_MS,
  makeEnvelope,
} from '@confluence/contracts';
import { errorMessage } from '@confluence/logger';
import { Slicer } from '../slicer';

/** TTLs only bound garbage (a value nobody rewrites goes away eventually); readers judge staleness from producedAt. */
export const CACHE_TTL_S = 3600;
export const HISTORY_TTL_S = 7 * 24 * 3600;
/** Details that did not change are still rewritten this often, so an emptied cache is refilled even if nothing moves. */
export const FULL_REWRITE_EVERY_MS = REWRITE_UNCHANGED_MS;
const WRITE_CONCURRENCY = 32;

export interface CycleOutput {
  generation: number;
  producedAt: number;
  details: ReadonlyMap<string, SymbolDetail>;
  symbols: SymbolsData;
  overview: OverviewData;
  heartbeat: HeartbeatData;
}

export interface PublishResult {
  ok: boolean;
  durationMs: number;
  detailsWritten: number;
  bytes: number;
  error?: string;
}

export interface PublisherOptions {
  cache: Cache;
  keys: Keys;
  analyzerId: string;
  source: MarketSource;
  shard: ShardId | undefined;
  now?: () => number;
}

/** SHA-1 of a detail's JSON: 28 characters kept per symbol instead of the ≈15 KB JSON itself. */
function digestOf(json: string): string {
  return createHash('sha1').update(json).digest('base64');
}

/**
 * Up to `limit` writes in flight for a producer that makes them one at a time: `add` waits while the window is full.
 * The first failure is rethrown (by `add` or `drain`); writes still in flight then finish on their own, caught.
 */
class WriteWindow {
  private readonly inFlight = new Set<Promise<unknown>>();
  private failure: { error: unknown } | null = null;

  constructor(private readonly limit: number) {}

  async add(write: Promise<unknown>): Promise<void> {
    const tracked: Promise<unknown> = write
      .catch((error: unknown) => {
        this.failure ??= { error };
      })
      .finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
    if (this.inFlight.size >= this.limit) await Promise.race(this.inFlight);
    this.rethrow();
  }

  async drain(): Promise<void> {
    await Promise.all(this.inFlight);
    this.rethrow();
  }

  private rethrow(): void {
    if (this.failure) throw this.failure.error;
  }
}

/**
 * Writes one generation in the contract's order: detail keys first, then `symbols` and `overview`, then `heartbeat`.
 * A reader that sees a heartbeat of generation G therefore finds the table and details of G (or newer) already there.
 */
export class Publisher {
  private readonly now: () => number;
  /** Digest of each detail's JSON as last written; unchanged details are skipped between full rewrites. */
  private readonly lastDigest = new Map<string, string>();
  private lastFullRewriteAt = 0;
  private forceFull = true;

  constructor(private readonly opts: PublisherOptions) {
    this.now = opts.now ?? Date.now;
  }

  /** After a failed publish, or when the cache was found empty, everything is rewritten on the next cycle. */
  invalidate(): void {
    this.forceFull = true;
  }

  forget(symbol: string): void {
    this.lastDigest.delete(symbol);
  }

  private meta(generation: number, producedAt: number) {
    return { generation, producedAt, analyzerId: this.opts.analyzerId, source: this.opts.source };
  }

  async publish(out: CycleOutput): Promise<PublishResult> {
    const started = this.now();
    const { cache, keys, shard } = this.opts;
    const meta = this.meta(out.generation, out.producedAt);
    const full = this.forceFull || started - this.lastFullRewriteAt >= FULL_REWRITE_EVERY_MS;
    let bytes = 0;
    let detailsWritten = 0;
    try {
      // Each detail is serialised just before it is written, and only its digest is kept to tell an unchanged one: at
      // the full universe the details are ≈13 MB of JSON a cycle, which held until the next cycle outlived two
      // scavenges, was promoted and then had to be collected from the old generation. The serialising is sliced
      // (≈100 ms in all) so the intake's frames and pongs are not held up meanwhile.
      const slicer = new Slicer();
      const writes = new WriteWindow(WRITE_CONCURRENCY);
      for (const [symbol, detail] of out.details) {
        await slicer.turn();
        const json = JSON.stringify(detail);
        const digest = digestOf(json);
        if (!full && this.lastDigest.get(symbol) === digest) continue;
        const value = encodeEnvelopeJson('symbol', meta, json);
        await writes.add(
          cache.set(keys.symbol(symbol), value, CACHE_TTL_S).then(() => {
            bytes += Buffer.byteLength(value);
            this.lastDigest.set(symbol, digest);
            detailsWritten++;
          }),
        );
      }
      await writes.drain();
      if (shard && shard.count > 1) bytes += await setEnvelope(cache, keys.shards(), makeEnvelope('shards', meta, { count: shard.count }), CACHE_TTL_S);
      const [a, b] = await Promise.all([
        setEnvelope(cache, keys.symbols(shard), makeEnvelope('symbols', meta, out.symbols), CACHE_TTL_S),
        setEnvelope(cache, keys.overview(shard), makeEnvelope('overview', meta, out.overview), CACHE_TTL_S),
      ]);
      bytes += a + b;
      bytes += await setEnvelope(cache, keys.heartbeat(shard), makeEnvelope('heartbeat', meta, out.heartbeat), CACHE_TTL_S);
      if (full) {
        this.lastFullRewriteAt = started;
        this.forceFull = false;
      }
      return { ok: true, durationMs: this.now() - started, detailsWritten, bytes };
    } catch (err) {
      this.forceFull = true;
      return { ok: false, durationMs: this.now() - started, detailsWritten, bytes, error: errorMessage(err) };
    }
  }

  async publishHistory(histories: ReadonlyArray<HistoryData>, generation: number, producedAt: number): Promise<void> {
    const meta = this.meta(generation, producedAt);
    const writes = new WriteWindow(WRITE_CONCURRENCY);
    for (const h of histories) {
      await writes.add(setEnvelope(this.opts.cache, this.opts.keys.history(h.symbol), makeEnvelope('history', meta, h), HISTORY_TTL_S));
    }
    await writes.drain();
  }
}
