import memjs from 'memjs';
import { HashRing } from './hash-ring';
import { CacheTimeoutError, CacheUnavailableError } from './errors';
import { type CodecLimits, DEFAULT_LIMITS, assembleParts, decompress, encodeValue, isCompressed, partKey, readManifest } from './codec';

export interface CacheOptions {
  /** `host:port` list; keys are spread over them by consistent hashing. */
  servers: readonly string[];
  username?: string;
  password?: string;
  /** Upper bound for one operation, including memjs's own retry. */
  timeoutMs: number;
  /** Called (rate-limit it yourself) with memjs's internal complaints instead of console.log. */
  onDriverLog?: (message: string) => void;
  /** Framing limits (part size, part count, largest value); the defaults suit Memcached's default 1 MiB items. */
  limits?: Partial<CodecLimits>;
}

export interface CacheStats {
  gets: number;
  hits: number;
  sets: number;
  errors: number;
  timeouts: number;
  bytesWritten: number;
  bytesRead: number;
  compressedWrites: number;
  splitWrites: number;
}

/** The small typed surface the services use; memjs stays behind it. */
export interface Cache {
  readonly servers: readonly string[];
  /**
   * Bytes stored under key (decompressed and reassembled), or null when absent. Rejects with CacheUnavailableError
   * when Memcached does not answer and with CacheCorruptValueError when the stored framing is broken or exceeds the limits.
   */
  get(key: string): Promise<Buffer | null>;
  getMany(keys: readonly string[]): Promise<Map<string, Buffer | null>>;
  /** Stores value with a TTL in seconds (0 = no expiry). Large values are compressed or split. */
  set(key: string, value: string | Buffer, ttlS: number): Promise<void>;
  delete(key: string): Promise<void>;
  /** Resolves when every server answers; rejects with CacheUnavailableError otherwise. */
  ping(): Promise<void>;
  stats(): Readonly<CacheStats>;
  /** Which server a key lives on (for tests of the distribution). */
  serverFor(key: string): string;
  /** One key per server, each `base` plus a suffix and owned by a different server: markers that must be on every server. */
  keysOnEveryServer(base: string): string[];
  close(): void;
}

type Callback<T> = (err: Error | null, value: T) => void;

export function createCache(options: CacheOptions): Cache {
  const servers = [...options.servers];
  const limits: CodecLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const timeoutS = Math.max(0.01, options.timeoutMs / 1000);
  const client = memjs.Client.create(servers.join(','), {
    username: options.username,
    password: options.password,
    timeout: timeoutS,
    conntimeout: timeoutS,
    // One attempt per call: the caller decides about retries, so a dead server costs one timeout, not three.
    retries: 1,
    failover: false,
    keepAlive: true,
    logger: { log: (...args: unknown[]) => options.onDriverLog?.(args.map(String).join(' ')) },
  } as memjs.ClientOptions);
  const ring = new HashRing(servers);
  // memjs documents getServer as the hook for custom server selection.
  (client as unknown as { getServer: (key: string) => number }).getServer = (key: string) => ring.indexOf(key);

  const keysOnEveryServer = (base: string): string[] =>
    servers.map((_, i) => {
      for (let n = 0; ; n++) if (ring.indexOf(`${base}${n}`) === i) return `${base}${n}`;
    });
  // One key owned by each server, so a ping asks every server once.
  const pingKeys = keysOnEveryServer('__confluence_ping:');

  const stats: CacheStats = { gets: 0, hits: 0, sets: 0, errors: 0, timeouts: 0, bytesWritten: 0, bytesRead: 0, compressedWrites: 0, splitWrites: 0 };
  let closed = false;

  function call<T>(op: string, key: string | undefined, run: (cb: Callback<T>) => void): Promise<T> {
    if (closed) return Promise.reject(new CacheUnavailableError('cache client is closed', op, key));
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      // Our own deadline on top of memjs's, so no code path can hang a request.
      const timer = setTimeout(() => {
        if (settled) return;
        settled = true;
        stats.timeouts++;
        stats.errors++;
        reject(new CacheTimeoutError(op, key, options.timeoutMs));
      }, options.timeoutMs + 50);
      timer.unref();
      try {
        run((err, value) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          if (err) {
            stats.errors++;
            const detail = err instanceof Error ? err.message : String(err);
            const timedOut = /timed out/i.test(detail);
            if (timedOut) stats.timeouts++;
            reject(timedOut ? new CacheTimeoutError(op, key, options.timeoutMs) : new CacheUnavailableError(`memcached ${op} failed: ${detail}`, op, key));
          } else resolve(value);
        });
      } catch (err) {
        settled = true;
        clearTimeout(timer);
        stats.errors++;
        reject(new CacheUnavailableError(`memcached ${op} failed: ${(err as Error).message}`, op, key));
      }
    });
  }

  const rawGet = (key: string) => call<Buffer | null>('get', key, (cb) => client.get(key, (err, value) => cb(err, value ?? null)));
  const rawSet = (key: string, value: Buffer, ttlS: number) =>
    call<boolean>('set', key, (cb) => client.set(key, value, { expires: ttlS }, (err, ok) => cb(err, ok ?? false))).then((ok) => {
      if (!ok) throw new CacheUnavailableError(`memcached refused to store ${key} (${value.length} bytes)`, 'set', key);
    });

  async function get(key: string): Promise<Buffer | null> {
    stats.gets++;
    const stored = await rawGet(key);
    if (stored === null) return null;
    stats.hits++;
    stats.bytesRead += stored.length;
    // Checked against the limits before any part is read, so a manifest claiming 100,000 parts costs one read.
    const manifest = readManifest(key, stored, limits);
    if (manifest) {
      const parts = await Promise.all(Array.from({ length: manifest.parts }, (_, i) => rawGet(partKey(key, manifest.id, i))));
      return assembleParts(key, manifest, parts, limits);
    }
    return isCompressed(stored) ? decompress(key, stored, limits) : stored;
  }

  return {
    servers,
    get,
    async getMany(keys) {
      const values = await Promise.all(keys.map((k) => get(k)));
      return new Map(keys.map((k, i) => [k, values[i]]));
    },
    async set(key, value, ttlS) {
      const encoded = encodeValue(key, value, limits);
      stats.sets++;
      if (encoded.compressed) stats.compressedWrites++;
      if (encoded.parts.length) stats.splitWrites++;
      // Parts outlive the manifest slightly so a reader that got the manifest finds them.
      await Promise.all(encoded.parts.map(([k, v]) => rawSet(k, v, ttlS === 0 ? 0 : ttlS + 60)));
      await rawSet(key, encoded.main, ttlS);
      stats.bytesWritten += encoded.main.length + encoded.parts.reduce((n, [, v]) => n + v.length, 0);
    },
    async delete(key) {
      await call<boolean>('delete', key, (cb) => client.delete(key, (err, ok) => cb(err, ok ?? false)));
    },
    async ping() {
      await Promise.all(pingKeys.map((k) => rawGet(k)));
    },
    stats: () => stats,
    serverFor: (key) => ring.serverOf(key),
    keysOnEveryServer,
    close() {
      if (closed) return;
      closed = true;
      client.close();
    },
  };
}
