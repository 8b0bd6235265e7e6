import { createHash, randomBytes } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { CacheCorruptValueError, CacheValueTooLargeError } from './errors';

/**
 * How values are framed in Memcached, so that no value near the 1 MB item limit fails silently:
 *  - small values are stored as they are (JSON starts with `{`, never with the markers below);
 *  - values over COMPRESS_ABOVE_BYTES are gzipped (magic bytes 1f 8b);
 *  - compressed values over PART_BYTES are split into parts stored under `key#<id>:<i>`, written first,
 *    then a manifest under `key` naming the id, the count and a SHA-1 of the whole, so a reader never
 *    assembles parts of two different writes.
 */
export const COMPRESS_ABOVE_BYTES = 32 * 1024;
/** Memcached's default item limit is 1 MiB including the key and item header; stay well under it. */
export const PART_BYTES = 900 * 1024;
export const MAX_PARTS = 32;
const GZIP_MAGIC_0 = 0x1f;
const GZIP_MAGIC_1 = 0x8b;
const MANIFEST_MARKER = 'CFCHUNKS1';

export interface Manifest {
  id: string;
  parts: number;
  bytes: number;
  sha1: string;
}

export interface EncodedValue {
  /** What to store under the key itself (the value, or a manifest). */
  main: Buffer;
  /** Extra items to store first: [suffix-key, bytes]. */
  parts: Array<[string, Buffer]>;
  compressed: boolean;
}

export function partKey(key: string, id: string, index: number): string {
  return `${key}#${id}:${index}`;
}

export function encodeValue(key: string, value: string | Buffer): EncodedValue {
  const raw = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  if (raw.length <= COMPRESS_ABOVE_BYTES) return { main: raw, parts: [], compressed: false };
  const gz = gzipSync(raw, { level: 6 });
  if (gz.length <= PART_BYTES) return { main: gz, parts: [], compressed: true };
  const count = Math.ceil(gz.length / PART_BYTES);
  if (count > MAX_PARTS) throw new CacheValueTooLargeError(key, gz.length, MAX_PARTS * PART_BYTES);
  const id = randomBytes(6).toString('hex');
  const parts: Array<[string, Buffer]> = [];
  for (let i = 0; i < count; i++) parts.push([partKey(key, id, i), gz.subarray(i * PART_BYTES, (i + 1) * PART_BYTES)]);
  const manifest: Manifest = { id, parts: count, bytes: gz.length, sha1: createHash('sha1').update(gz).digest('hex') };
  return { main: Buffer.from(MANIFEST_MARKER + JSON.stringify(manifest), 'utf8'), parts, compressed: true };
}

export function readManifest(stored: Buffer): Manifest | null {
  if (stored.length < MANIFEST_MARKER.length || stored.toString('latin1', 0, MANIFEST_MARKER.length) !== MANIFEST_MARKER) return null;
  const m = JSON.parse(stored.toString('utf8', MANIFEST_MARKER.length)) as Manifest;
  return m;
}

export function isCompressed(stored: Buffer): boolean {
  return stored.length > 2 && stored[0] === GZIP_MAGIC_0 && stored[1] === GZIP_MAGIC_1;
}

export function decompress(key: string, stored: Buffer): Buffer {
  try {
    return gunzipSync(stored);
  } catch (err) {
    throw new CacheCorruptValueError(key, `bad compression: ${(err as Error).message}`);
  }
}

export function assembleParts(key: string, manifest: Manifest, parts: Array<Buffer | null>): Buffer {
  if (parts.some((p) => p === null)) throw new CacheCorruptValueError(key, `missing part(s) of ${manifest.parts}`);
  const whole = Buffer.concat(parts as Buffer[]);
  const sha1 = createHash('sha1').update(whole).digest('hex');
  if (whole.length !== manifest.bytes || sha1 !== manifest.sha1) throw new CacheCorruptValueError(key, 'parts do not match their manifest');
  return decompress(key, whole);
}
