import { type DecodeResult, type Envelope, type Kind, decodeEnvelope, encodeEnvelope } from '@confluence/contracts';
import type { Cache } from './client';

export interface StoredEnvelope<K extends Kind> {
  /** The stored JSON bytes, kept so a reader can serve them again without re-serialising. */
  raw: Buffer;
  result: DecodeResult<K>;
}

/** Reads and validates one envelope; null when the key is absent. Throws CacheUnavailableError when Memcached does not answer. */
export async function getEnvelope<K extends Kind>(cache: Cache, kind: K, key: string): Promise<StoredEnvelope<K> | null> {
  const raw = await cache.get(key);
  if (raw === null) return null;
  return { raw, result: decodeEnvelope(kind, raw) };
}

export async function setEnvelope(cache: Cache, key: string, envelope: Envelope, ttlS: number): Promise<number> {
  const json = encodeEnvelope(envelope);
  await cache.set(key, json, ttlS);
  return Buffer.byteLength(json);
}
