import { CacheUnavailableError } from '@confluence/cache';
import type { Envelope, Kind } from '@confluence/contracts';
import type { Reader } from './reader';

/** Values read on demand (details, history, calibration…) are kept this long before asking Memcached again. */
export const ON_DEMAND_TTL_MS = 500;
export const ON_DEMAND_MAX_ENTRIES = 2000;

/**
 * Per-key on-demand values with a short life, so a burst of requests costs one Memcached read. While Memcached is
 * down the last value held is still the truth that can be shown, marked by the status.
 */
export class OnDemandCache {
  private readonly held = new Map<string, { at: number; envelope: Envelope | null }>();

  constructor(
    private readonly reader: Reader,
    private readonly now: () => number,
    private readonly onCacheError: () => void,
  ) {}

  async read<K extends Kind>(kind: K, key: string): Promise<{ envelope: Envelope<K> | null; fromMemory: boolean }> {
    const held = this.held.get(key);
    const t = this.now();
    if (held && t - held.at < ON_DEMAND_TTL_MS) return { envelope: held.envelope as Envelope<K> | null, fromMemory: false };
    try {
      const r = await this.reader.readEnvelope(kind, key);
      if (this.held.size > ON_DEMAND_MAX_ENTRIES) this.held.delete(this.held.keys().next().value as string);
      this.held.set(key, { at: t, envelope: r ? r.envelope : null });
      this.reader.markCache(true);
      return { envelope: r ? r.envelope : null, fromMemory: false };
    } catch (err) {
      if (!(err instanceof CacheUnavailableError)) throw err;
      this.onCacheError();
      this.reader.markCache(false, err);
      return { envelope: held ? (held.envelope as Envelope<K> | null) : null, fromMemory: true };
    }
  }
}
