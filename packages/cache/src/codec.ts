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
 * The stored framing is not trusted: a reader checks a manifest against the same limits the writer obeys before
 * it reads a single part, and never inflates more than MAX_VALUE_BYTES.
 */
export const COMPRESS_ABOVE_BYTES = 32 * 1024;
/** Memcached's default item limit is 1 MiB including the key and item header; stay well under it. */
export const PART_BYTES = 900 * 1024;
export const MAX_PARTS = 32;
/**
 * The largest value (uncompressed) written or read. The largest legitimate value, a 500-symbol table, is about
 * 0.4 MiB; a gzip "bomb" can claim a thousand times its size, and this is where inflating stops.
 */
export const MAX_VALUE_BYTES = 16 * 1024 * 1024;
const GZIP_MAGIC_0 = 0x1f;
const GZIP_MAGIC_1 = 0x8b;
const MANIFEST_MARKER = 'CFCHUNKS1';
/** A manifest is about 120 bytes; anything much longer is not one of ours. */
const MAX_MANIFEST_BYTES = 512;

export interface CodecLimits {
  /** Size of one part of a split value (and the largest compressed value stored whole). */
  partBytes: number;
  /** Most parts one value may have. */
  maxParts: number;
  /** Largest value before compression, written or read. */
  maxValueBytes: number;
}

export const DEFAULT_LIMITS: Readonly<CodecLimits> = { partBytes: PART_BYTES, maxParts: MAX_PARTS, maxValueBytes: MAX_VALUE_BYTES };

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

export function encodeValue(key: string, value: string | Buffer, limits: CodecLimits = DEFAULT_LIMITS): EncodedValue {
  const raw = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  // A value no reader would inflate is refused here, at the writer, with a clear error.
  if (raw.length > limits.maxValueBytes) throw new CacheValueTooLargeError(key, raw.length, limits.maxValueBytes, 'uncompressed');
  if (raw.length <= COMPRESS_ABOVE_BYTES) return { main: raw, parts: [], compressed: false };
  const gz = gzipSync(raw, { level: 6 });
  if (gz.length <= limits.partBytes) return { main: gz, parts: [], compressed: true };
  const count = Math.ceil(gz.length / limits.partBytes);
  if (count > limits.maxParts) throw new CacheValueTooLargeError(key, gz.length, limits.maxParts * limits.partBytes, 'after compression');
  const id = randomBytes(6).toString('hex');
  const parts: Array<[string, Buffer]> = [];
  for (let i = 0; i < count; i++) parts.push([partKey(key, id, i), gz.subarray(i * limits.partBytes, (i + 1) * limits.partBytes)]);
  const manifest: Manifest = { id, parts: count, bytes: gz.length, sha1: createHash('sha1').update(gz).digest('hex') };
  return { main: Buffer.from(MANIFEST_MARKER + JSON.stringify(manifest), 'utf8'), parts, compressed: true };
}

function isManifest(stored: Buffer): boolean {
  return stored.length >= MANIFEST_MARKER.length && stored.toString('latin1', 0, MANIFEST_MARKER.length) === MANIFEST_MARKER;
}

/**
 * The manifest stored under `key`, checked against the limits before any part is read: null when the value is not
 * split; CacheCorruptValueError (reason `bad_manifest`) when it claims what no writer would write.
 */
export function readManifest(key: string, stored: Buffer, limits: CodecLimits = DEFAULT_LIMITS): Manifest | null {
  if (!isManifest(stored)) return null;
  const bad = (why: string): never => {
    throw new CacheCorruptValueError(key, 'bad_manifest', `bad manifest: ${why}`);
  };
  if (stored.length > MAX_MANIFEST_BYTES) bad(`${stored.length} bytes long`);
  let m: unknown;
  try {
    m = JSON.parse(stored.toString('utf8', MANIFEST_MARKER.length));
  } catch (err) {
    return bad(`not JSON (${(err as Error).message})`);
  }
  if (typeof m !== 'object' || m === null) return bad('not an object');
  const { id, parts, bytes, sha1 } = m as Record<string, unknown>;
  if (typeof id !== 'string' || !/^[0-9a-f]{12}$/.test(id)) bad('id is not 12 hex digits');
  if (typeof sha1 !== 'string' || !/^[0-9a-f]{40}$/.test(sha1)) bad('sha1 is not 40 hex digits');
  if (typeof parts !== 'number' || !Number.isInteger(parts) || parts < 2 || parts > limits.maxParts)
    bad(`part count ${String(parts).slice(0, 20)} is not an integer in 2-${limits.maxParts}`);
  const count = parts as number;
  // The writer cuts the compressed bytes into full parts and one last partial one: the size follows from the count.
  if (typeof bytes !== 'number' || !Number.isInteger(bytes) || bytes <= (count - 1) * limits.partBytes || bytes > count * limits.partBytes) {
    bad(`size ${String(bytes).slice(0, 20)} does not fit ${count} parts of ${limits.partBytes} bytes`);
  }
  return { id: id as string, parts: count, bytes: bytes as number, sha1: sha1 as string };
}

export function isCompressed(stored: Buffer): boolean {
  return stored.length > 2 && stored[0] === GZIP_MAGIC_0 && stored[1] === GZIP_MAGIC_1;
}

export function decompress(key: string, stored: Buffer, limits: CodecLimits = DEFAULT_LIMITS): Buffer {
  try {
    // zlib stops at maxOutputLength: memory stays bounded whatever the stored bytes claim.
    return gunzipSync(stored, { maxOutputLength: limits.maxValueBytes });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ERR_BUFFER_TOO_LARGE' || e instanceof RangeError) {
      throw new CacheCorruptValueError(key, 'too_large', `inflates beyond ${limits.maxValueBytes} bytes`);
    }
    throw new CacheCorruptValueError(key, 'bad_compression', `bad compression: ${e.message}`);
  }
}

export function assembleParts(key: string, manifest: Manifest, parts: Array<Buffer | null>, limits: CodecLimits = DEFAULT_LIMITS): Buffer {
  const missing = parts.filter((p) => p === null).length;
  if (missing) throw new CacheCorruptValueError(key, 'missing_parts', `${missing} of ${manifest.parts} parts missing`);
  const present = parts as Buffer[];
  const total = present.reduce((n, p) => n + p.length, 0);
  if (total !== manifest.bytes) throw new CacheCorruptValueError(key, 'bad_checksum', `parts hold ${total} bytes, the manifest says ${manifest.bytes}`);
  const whole = Buffer.concat(present, total);
  const sha1 = createHash('sha1').update(whole).digest('hex');
  if (sha1 !== manifest.sha1) throw new CacheCorruptValueError(key, 'bad_checksum', 'parts do not match their manifest checksum');
  return decompress(key, whole, limits);
}
