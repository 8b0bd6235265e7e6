/** Memcached did not answer (down, refused, timed out). Readers turn this into the `cache_unreachable` status. */
export class CacheUnavailableError extends Error {
  readonly code: string = 'cache_unreachable';
  constructor(message: string, readonly op: string, readonly key?: string) {
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
  constructor(readonly key: string, readonly bytes: number, readonly limit: number) {
    super(`value for ${key} is ${bytes} bytes after compression; the limit is ${limit} bytes`);
    this.name = 'CacheValueTooLargeError';
  }
}

/** A stored value whose framing is broken (a missing part, a bad checksum, corrupt compression). */
export class CacheCorruptValueError extends Error {
  readonly code = 'cache_corrupt_value';
  constructor(readonly key: string, message: string) {
    super(`value for ${key} is corrupt: ${message}`);
    this.name = 'CacheCorruptValueError';
  }
}
