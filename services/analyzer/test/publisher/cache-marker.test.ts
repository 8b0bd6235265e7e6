import { createCache } from '@confluence/cache';
import { createKeys } from '@confluence/contracts';
import { type Memcached, memcachedRawSet, startMemcached, waitFor } from '@confluence/testkit';
import { CacheMarker } from '../../src/publisher/cache-marker';

/** The markers against two real memcached servers: losing either one's contents is noticed, once. */
describe('CacheMarker', () => {
  let a: Memcached;
  let b: Memcached;

  beforeAll(async () => {
    [a, b] = await Promise.all([startMemcached(), startMemcached()]);
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
  });

  test('when one of two servers restarts empty, then the next check says lost exactly once, and a shard has its own marker', async () => {
    const cache = createCache({ servers: [a.address, b.address], timeoutMs: 500 });
    try {
      const keys = createKeys('marker-test:');
      const base = keys.writerMarker();
      const markerKeys = cache.keysOnEveryServer(base);
      expect(new Set(markerKeys.map((k) => cache.serverFor(k)))).toEqual(new Set([a.address, b.address]));
      const marker = new CacheMarker(cache, base, 'analyzer-1');
      expect(await marker.check()).toBe(true);
      expect(await marker.check()).toBe(false);
      // Another shard writing to the same servers does not hide this analyzer's loss.
      const shard = new CacheMarker(cache, keys.writerMarker({ index: 1, count: 2 }), 'analyzer-2');
      expect(await shard.check()).toBe(true);

      await b.stop();
      await b.start();
      // memjs reconnects on the next call; a refused connection meanwhile is an unavailable cache, not a loss.
      const lost = await waitFor(
        async () =>
          marker.check().then(
            (x) => ({ x }),
            () => null,
          ),
        { what: 'a check after the restart' },
      );
      expect(lost.x).toBe(true);
      expect(await marker.check()).toBe(false);
      expect(await shard.check()).toBe(true);
    } finally {
      cache.close();
    }
  });

  test('when a marker is overwritten with broken framing, then it counts as lost and is written again, without an error', async () => {
    const cache = createCache({ servers: [a.address], timeoutMs: 500 });
    try {
      const base = createKeys('marker-poison:').writerMarker();
      const marker = new CacheMarker(cache, base, 'analyzer-1');
      await marker.check();
      await memcachedRawSet(a.port, cache.keysOnEveryServer(base)[0], 'CFCHUNKS1{broken');
      expect(await marker.check()).toBe(true);
      expect(await marker.check()).toBe(false);
    } finally {
      cache.close();
    }
  });
});
