/** Memcached did not answer (down, refused, timed out). Readers turn this into the `cache_unreachable` status. */
export class CacheUnavailableError extends Error {
  readonly code: string = 'cache_unreachable';
  constructor(
    message: string,
    readonly op: string,
    readonly key?: string,
  ) {
    super(message);
    this.name = 'CacheUnavailableError';
  }
}

export class CacheTimeoutError extends CacheUnavailableError {
  override readonly code = 'cache_timeout';
  constructor(op: string, key: string | undefined, timeoutMs: number) {
    super(`memcached ${op} timed out after ${timeoutMs} ms`, op, key);
    this.name = 'CacheTimeoutError';
  }
}

/** A value that cannot be stored even after compression and splitting. */
export class CacheValueTooLargeError extends Error {
  readonly code = 'cache_value_too_large';
  constructor(
    readonly key: string,
    readonly bytes: number,
    readonly limit: number,
    readonly measured: 'uncompressed' | 'after compression' = 'after compression',
  ) {
    super(`value for ${key} is ${bytes} bytes ${measured}; the limit is ${limit} bytes`);
    this.name = 'CacheValueTooLargeError';
  }
}

/** What is wrong with a stored value's framing; readers report it as the reason the value was rejected. */
export type CorruptReason = 'bad_manifest' | 'missing_parts' | 'bad_checksum' | 'bad_compression' | 'too_large';

/** A stored value whose framing is broken (a bad manifest, a missing part, a bad checksum, corrupt or oversized compression). */
export class CacheCorruptValueError extends Error {
  readonly code = 'cache_corrupt_value';
  constructor(
    readonly key: string,
    readonly reason: CorruptReason,
    message: string,
  ) {
    super(`value for ${key} is corrupt: ${message}`);
    this.name = 'CacheCorruptValueError';
  }
}
