import { type Cache, CacheCorruptValueError } from '@confluence/cache';

/**
 * Detects that Memcached lost what this analyzer wrote, whatever the cause (a server restarted empty, a flush_all,
 * an eviction): one marker per server, read every cycle. When one is missing it is written again and `check`
 * answers true, and the caller writes back every value it still holds. Reading the markers every cycle also keeps
 * them recently used, so the LRU never evicts them ahead of the values they stand for.
 */
export class CacheMarker {
  private readonly keys: string[];
  private readonly value: string;

  constructor(
    private readonly cache: Cache,
    base: string,
    writerId: string,
  ) {
    this.keys = cache.keysOnEveryServer(base);
    this.value = JSON.stringify({ writer: writerId, since: Date.now() });
  }

  /** True when some server lost the marker (and so, presumably, our other values). Throws CacheUnavailableError when Memcached does not answer. */
  async check(): Promise<boolean> {
    // A marker overwritten with garbage is as good as lost: it is written again, and never stops a cycle.
    const found = await Promise.all(
      this.keys.map((k) => this.cache.get(k).catch((err: unknown) => (err instanceof CacheCorruptValueError ? null : Promise.reject(err)))),
    );
    const lost = found.some((v) => v === null);
    if (lost) await Promise.all(this.keys.map((k, i) => (found[i] === null ? this.cache.set(k, this.value, 0) : undefined)));
    return lost;
  }
}
