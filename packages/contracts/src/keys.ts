/** Key names of the shared store. Every key lives under a versioned prefix so deployments can share one Memcached. */
export const DEFAULT_KEY_PREFIX = 'confluence:v1:';
export const SYMBOL_PATTERN = /^[A-Z0-9]{2,30}$/;
const PREFIX_PATTERN = /^[\x21-\x7e]{1,64}$/;
/** Memcached's own limit on key length, in bytes. */
export const MAX_KEY_BYTES = 250;
/**
 * Values written when they change (symbol details, calibration, alerts, the timeline index) are also rewritten at
 * least this often while the analyzer runs, so an emptied cache refills and readers can judge each value's own age.
 */
export const REWRITE_UNCHANGED_MS = 30_000;

export class InvalidSymbolError extends Error {
  readonly code = 'invalid_symbol';
  constructor(readonly symbol: string) {
    super(`invalid symbol ${JSON.stringify(symbol.slice(0, 40))}: expected 2-30 characters A-Z or 0-9`);
  }
}

export function isValidSymbol(value: unknown): value is string {
  return typeof value === 'string' && SYMBOL_PATTERN.test(value);
}

export function assertSymbol(value: string): string {
  if (!isValidSymbol(value)) throw new InvalidSymbolError(value);
  return value;
}

export function isValidKeyPrefix(prefix: string): boolean {
  return PREFIX_PATTERN.test(prefix);
}

/** A shard is `index/count`, both integers, 0 <= index < count. */
export interface ShardId {
  readonly index: number;
  readonly count: number;
}

export function shardTag(shard: ShardId | undefined): string {
  return shard && shard.count > 1 ? `:shard:${shard.index}of${shard.count}` : '';
}

export interface Keys {
  readonly prefix: string;
  symbols(shard?: ShardId): string;
  overview(shard?: ShardId): string;
  heartbeat(shard?: ShardId): string;
  /** Written identically by every sharded analyzer: how many shards readers should look for. */
  shards(): string;
  /**
   * Base name of the analyzer's cache markers (one per Memcached server, suffixed by the cache client): a missing
   * marker means that server lost what the analyzer wrote (a restart, a flush), so everything is written back.
   */
  writerMarker(shard?: ShardId): string;
  symbol(symbol: string): string;
  history(symbol: string): string;
  calibration(): string;
  alerts(): string;
  /** Minute snapshots for time-travel: the index of minutes, and one key per minute. */
  timeline(): string;
  snapshot(minuteTs: number): string;
}

export function createKeys(prefix: string = DEFAULT_KEY_PREFIX): Keys {
  if (!isValidKeyPrefix(prefix)) {
    throw new Error(`invalid key prefix ${JSON.stringify(prefix)}: 1-64 printable ASCII characters, no spaces`);
  }
  const k = (name: string): string => prefix + name;
  return {
    prefix,
    symbols: (shard) => k(`symbols${shardTag(shard)}`),
    overview: (shard) => k(`overview${shardTag(shard)}`),
    heartbeat: (shard) => k(`heartbeat${shardTag(shard)}`),
    shards: () => k('shards'),
    writerMarker: (shard) => k(`writer${shardTag(shard)}:`),
    symbol: (symbol) => k(`symbol:${assertSymbol(symbol)}`),
    history: (symbol) => k(`history:${assertSymbol(symbol)}`),
    calibration: () => k('calibration'),
    alerts: () => k('alerts'),
    timeline: () => k('timeline'),
    snapshot: (minuteTs) => {
      if (!Number.isSafeInteger(minuteTs) || minuteTs < 0) throw new Error(`invalid minute timestamp ${minuteTs}`);
      return k(`snapshot:${minuteTs}`);
    },
  };
}
