import { createHash, randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { type Cache, CacheCorruptValueError, CacheValueTooLargeError, MAX_PARTS, MAX_VALUE_BYTES, PART_BYTES, createCache } from '@confluence/cache';
import { type Memcached, memcachedRawSet, memcachedStats, startMemcached } from '@confluence/testkit';

/**
 * Stored framing is not trusted: values written straight into a real memcached (bypassing our writer) with a
 * poisoned manifest, missing parts, a wrong checksum, corrupt or oversized gzip are each rejected with a reason,
 * at a bounded cost in reads and memory.
 */
const manifest = (m: Record<string, unknown>): string => `CFCHUNKS1${JSON.stringify(m)}`;
const sha1 = (b: Buffer): string => createHash('sha1').update(b).digest('hex');

describe('cache framing under poisoned values', () => {
  let mc: Memcached;
  let cache: Cache;

  beforeAll(async () => {
    mc = await startMemcached();
    cache = createCache({ servers: [mc.address], timeoutMs: 1000 });
  });
  afterAll(async () => {
    cache?.close();
    await mc?.stop();
  });

  async function rejection(key: string): Promise<CacheCorruptValueError> {
    const err = await cache.get(key).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(CacheCorruptValueError);
    return err as CacheCorruptValueError;
  }

  test('when a manifest claims 100,000 parts, then get rejects it as bad_manifest after a single memcached read', async () => {
    await memcachedRawSet(mc.port, 'p:many', manifest({ id: 'abcdefabcdef', parts: 100_000, bytes: 100_000 * PART_BYTES, sha1: 'a'.repeat(40) }));
    const before = (await memcachedStats(mc.port)).cmd_get;
    const err = await rejection('p:many');
    const reads = (await memcachedStats(mc.port)).cmd_get - before;
    expect(err.reason).toBe('bad_manifest');
    expect(err.message).toMatch(/part count 100000/);
    expect(reads).toBe(1);
  });

  test.each([
    ['not JSON', 'CFCHUNKS1{not json'],
    ['a size that does not fit its part count', manifest({ id: 'abcdefabcdef', parts: 2, bytes: 10, sha1: 'a'.repeat(40) })],
    ['a non-hex id (a key injection)', manifest({ id: '../x y', parts: 2, bytes: PART_BYTES + 1, sha1: 'a'.repeat(40) })],
    ['a fractional part count', manifest({ id: 'abcdefabcdef', parts: 2.5, bytes: PART_BYTES * 2, sha1: 'a'.repeat(40) })],
    ['a padded, oversized manifest', manifest({ id: 'abcdefabcdef', parts: 2, bytes: PART_BYTES + 1, sha1: 'a'.repeat(40), pad: 'x'.repeat(2000) })],
  ])('when the manifest has %s, then get rejects it as bad_manifest', async (_what, value) => {
    await memcachedRawSet(mc.port, 'p:bad', value);
    expect((await rejection('p:bad')).reason).toBe('bad_manifest');
  });

  test('when a part is missing, then missing_parts; when a part was swapped, then bad_checksum', async () => {
    const gz = randomBytes(PART_BYTES + 1000);
    const id = 'a1b2c3d4e5f6';
    const m = manifest({ id, parts: 2, bytes: gz.length, sha1: sha1(gz) });
    await memcachedRawSet(mc.port, 'p:parts', m);
    await memcachedRawSet(mc.port, `p:parts#${id}:0`, gz.subarray(0, PART_BYTES));
    expect((await rejection('p:parts')).reason).toBe('missing_parts');
    await memcachedRawSet(mc.port, `p:parts#${id}:1`, randomBytes(1000));
    expect((await rejection('p:parts')).reason).toBe('bad_checksum');
    await memcachedRawSet(mc.port, `p:parts#${id}:1`, randomBytes(10));
    expect((await rejection('p:parts')).reason).toBe('bad_checksum');
  });

  test('when a gzip value is corrupt, then bad_compression', async () => {
    const gz = gzipSync(Buffer.from(JSON.stringify({ hello: 'x'.repeat(50_000) })));
    gz[20] ^= 0xff;
    gz[21] ^= 0xff;
    await memcachedRawSet(mc.port, 'p:gz', gz.subarray(0, gz.length - 8));
    expect((await rejection('p:gz')).reason).toBe('bad_compression');
  });

  test('when a 100 KB gzip value inflates to 100 MB, then too_large, and the process never holds the 100 MB', async () => {
    const bomb = gzipSync(Buffer.alloc(100 * 1024 * 1024, 0x20), { level: 9 });
    expect(bomb.length).toBeLessThan(200 * 1024);
    await memcachedRawSet(mc.port, 'p:bomb', bomb);
    global.gc?.();
    const before = process.memoryUsage().arrayBuffers;
    const err = await rejection('p:bomb');
    expect(err.reason).toBe('too_large');
    expect(err.message).toContain(String(MAX_VALUE_BYTES));
    // Inflating stopped at the limit: the buffers held afterwards are nowhere near the 100 MB the bomb claims.
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(2 * MAX_VALUE_BYTES);
  });

  test('when a value is larger than the limit, then the writer refuses it with a clear error and stores nothing', async () => {
    const small = createCache({ servers: [mc.address], timeoutMs: 1000, limits: { maxValueBytes: 64 * 1024 } });
    try {
      await expect(small.set('p:big', 'x'.repeat(64 * 1024 + 1), 60)).rejects.toBeInstanceOf(CacheValueTooLargeError);
      expect(await small.get('p:big')).toBeNull();
      // The writer's limits are the reader's: whatever it writes, it reads back.
      const ok = randomBytes(60 * 1024)
        .toString('base64')
        .slice(0, 64 * 1024);
      await small.set('p:ok', ok, 60);
      expect((await small.get('p:ok'))?.toString()).toBe(ok);
    } finally {
      small.close();
    }
  });

  test('when a value is split into the most parts allowed, then it round-trips; one more part is refused at the writer', async () => {
    // Hex of random bytes gzips to a little over half its length: 40 KB → about 2 parts of 16 KB, 140 KB → about 5.
    const limits = { partBytes: 16 * 1024, maxParts: 4 };
    const small = createCache({ servers: [mc.address], timeoutMs: 1000, limits });
    try {
      const fits = randomBytes(20 * 1024).toString('hex');
      await small.set('p:split', fits, 60);
      expect(small.stats().splitWrites).toBe(1);
      expect((await small.get('p:split'))?.toString()).toBe(fits);
      await expect(small.set('p:split2', randomBytes(70 * 1024).toString('hex'), 60)).rejects.toBeInstanceOf(CacheValueTooLargeError);
      // A manifest of more parts than the reader's limit is refused before any part is read.
      await memcachedRawSet(mc.port, 'p:split3', manifest({ id: 'abcdefabcdef', parts: 5, bytes: 4 * 16 * 1024 + 1, sha1: 'a'.repeat(40) }));
      await expect(small.get('p:split3')).rejects.toMatchObject({ reason: 'bad_manifest' });
      expect(MAX_PARTS).toBeGreaterThan(1);
    } finally {
      small.close();
    }
  });
});
