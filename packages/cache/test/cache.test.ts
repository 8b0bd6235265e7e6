import { randomBytes } from 'node:crypto';
import { createCache, type Cache, CacheUnavailableError, CacheCorruptValueError, HashRing, PART_BYTES } from '@confluence/cache';
import { startMemcached, type Memcached, freePort, buildSymbolsEnvelope } from '@confluence/testkit';
import { decodeEnvelope } from '@confluence/contracts';

describe('cache against a real memcached', () => {
  let mc: Memcached;
  let cache: Cache;

  beforeAll(async () => {
    mc = await startMemcached();
    cache = createCache({ servers: [mc.address], timeoutMs: 500 });
  });
  afterAll(async () => {
    cache?.close();
    await mc?.stop();
  });

  test('when a value is set, then get returns the same bytes, and delete removes it', async () => {
    await cache.set('t:a', '{"hello":"world"}', 60);
    expect((await cache.get('t:a'))?.toString()).toBe('{"hello":"world"}');
    await cache.delete('t:a');
    expect(await cache.get('t:a')).toBeNull();
  });

  test('when a key was never written, then get answers null, not an error', async () => {
    expect(await cache.get('t:never')).toBeNull();
  });

  test('when the 500-symbol table is stored, then it round-trips (compressed under the 1 MB item limit)', async () => {
    const envelope = buildSymbolsEnvelope(500);
    const json = JSON.stringify(envelope);
    await cache.set('t:symbols500', json, 60);
    const back = await cache.get('t:symbols500');
    expect(back?.toString()).toBe(json);
    const decoded = decodeEnvelope('symbols', back!);
    expect(decoded.ok && decoded.envelope.data.rows.length).toBe(500);
    expect(cache.stats().compressedWrites).toBeGreaterThan(0);
  });

  test('when a value is larger than one item even compressed, then it is split into parts and reassembled', async () => {
    // Random bytes do not compress: 2.5 MB needs three parts.
    const big = randomBytes(Math.floor(PART_BYTES * 2.5)).toString('base64');
    await cache.set('t:big', big, 60);
    expect(cache.stats().splitWrites).toBeGreaterThan(0);
    expect((await cache.get('t:big'))?.toString()).toBe(big);
  });

  test('when one part of a split value is missing, then get reports a corrupt value instead of wrong data', async () => {
    const big = randomBytes(Math.floor(PART_BYTES * 1.5)).toString('base64');
    await cache.set('t:big2', big, 60);
    const manifest = JSON.parse((await rawGet(mc, 't:big2')).slice('CFCHUNKS1'.length)) as { id: string };
    await cache.delete(`t:big2#${manifest.id}:1`);
    await expect(cache.get('t:big2')).rejects.toBeInstanceOf(CacheCorruptValueError);
  });

  test('when a value is written twice, then a reader sees the second value whole', async () => {
    const a = randomBytes(PART_BYTES).toString('base64');
    const b = randomBytes(PART_BYTES).toString('base64');
    await cache.set('t:twice', a, 60);
    await cache.set('t:twice', b, 60);
    expect((await cache.get('t:twice'))?.toString()).toBe(b);
  });

  test('when ping is called on a live server, then it resolves', async () => {
    await expect(cache.ping()).resolves.toBeUndefined();
  });
});

/** The stored bytes under key, bypassing our framing (a manifest is small and stored as is). */
async function rawGet(mc: Memcached, key: string): Promise<string> {
  const memjs = await import('memjs');
  const client = memjs.Client.create(mc.address, { logger: { log: () => {} } } as never);
  try {
    const { value } = await client.get(key);
    return value!.toString();
  } finally {
    client.close();
  }
}

describe('cache when memcached is unreachable', () => {
  test('when nothing listens on the port, then get rejects with CacheUnavailableError within the timeout', async () => {
    const port = await freePort();
    const cache = createCache({ servers: [`127.0.0.1:${port}`], timeoutMs: 300 });
    // Every call settles (the test's own deadline bounds it) with the typed error, never a hang or a raw socket error.
    await expect(cache.get('x')).rejects.toBeInstanceOf(CacheUnavailableError);
    await expect(cache.set('x', 'y', 10)).rejects.toBeInstanceOf(CacheUnavailableError);
    await expect(cache.ping()).rejects.toBeInstanceOf(CacheUnavailableError);
    cache.close();
  });

  test('when memcached is paused (SIGSTOP), then a get fails with a timeout instead of hanging, and works again after SIGCONT', async () => {
    const mc = await startMemcached();
    const cache = createCache({ servers: [mc.address], timeoutMs: 300 });
    try {
      await cache.set('k', 'v', 10);
      await mc.pause();
      await expect(cache.get('k')).rejects.toMatchObject({ code: expect.stringMatching(/cache_(timeout|unreachable)/) });
      await mc.resume();
      // memjs reconnects lazily; the next calls succeed once the server answers again.
      let value: Buffer | null = null;
      for (let i = 0; i < 20 && value === null; i++) value = await cache.get('k').catch(() => null);
      expect(value?.toString()).toBe('v');
    } finally {
      await mc.resume();
      cache.close();
      await mc.stop();
    }
  });

  test('when memcached restarts empty, then the client reconnects and the key is simply absent', async () => {
    const mc = await startMemcached();
    const cache = createCache({ servers: [mc.address], timeoutMs: 300 });
    try {
      await cache.set('k', 'v', 10);
      await mc.stop();
      await expect(cache.get('k')).rejects.toBeInstanceOf(CacheUnavailableError);
      await mc.start();
      let result: Buffer | null | 'error' = 'error';
      for (let i = 0; i < 20 && result === 'error'; i++) result = await cache.get('k').catch(() => 'error' as const);
      expect(result).toBeNull();
    } finally {
      cache.close();
      await mc.stop();
    }
  });
});

describe('consistent hashing', () => {
  test('when a fourth server joins three, then about a quarter of the keys move (not most of them)', () => {
    const keys = Array.from({ length: 20_000 }, (_, i) => `confluence:v1:symbol:SYM${i}USDT`);
    const three = new HashRing(['10.0.0.1:11211', '10.0.0.2:11211', '10.0.0.3:11211']);
    const four = new HashRing(['10.0.0.1:11211', '10.0.0.2:11211', '10.0.0.3:11211', '10.0.0.4:11211']);
    const moved = keys.filter((k) => three.serverOf(k) !== four.serverOf(k)).length / keys.length;
    expect(moved).toBeGreaterThan(0.15);
    expect(moved).toBeLessThan(0.35);
    // Every key that moved went to the new server.
    expect(keys.every((k) => three.serverOf(k) === four.serverOf(k) || four.serverOf(k) === '10.0.0.4:11211')).toBe(true);
  });

  test('when keys are spread over three servers, then each holds a fair share', () => {
    const ring = new HashRing(['a:1', 'b:1', 'c:1']);
    const counts = new Map<string, number>();
    for (let i = 0; i < 30_000; i++) counts.set(ring.serverOf(`k${i}`), (counts.get(ring.serverOf(`k${i}`)) ?? 0) + 1);
    for (const n of counts.values()) expect(n / 30_000).toBeGreaterThan(0.25);
  });
});
