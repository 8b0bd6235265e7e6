import { type Cache, createCache } from '@confluence/cache';
import { DEFAULT_KEY_PREFIX, createKeys, makeEnvelope } from '@confluence/contracts';
import { silentLogger } from '@confluence/logger';
import { type Memcached, startMemcached, waitFor, META, buildOverviewEnvelope, buildSymbolsEnvelope, heartbeatData } from '@confluence/testkit';
import { Poller } from '../src/poller';
import { Reader, type TableSnapshot } from '../src/reader';

const keys = createKeys(DEFAULT_KEY_PREFIX);

async function publish(cache: Cache, generation: number, n = 5): Promise<void> {
  const meta = { ...META, generation, producedAt: Date.now() };
  await cache.set(keys.symbols(), JSON.stringify(buildSymbolsEnvelope(n, meta)), 60);
  await cache.set(keys.overview(), JSON.stringify(buildOverviewEnvelope(n, meta)), 60);
  await cache.set(keys.heartbeat(), JSON.stringify(makeEnvelope('heartbeat', meta, heartbeatData(Date.now(), generation, n))), 60);
}

describe('view poller against a real memcached', () => {
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

  test('when a new generation is published, then the poller switches the current view and says so once; after stop it polls no more', async () => {
    await publish(cache, 10);
    const reader = new Reader({ cache, keys, logger: silentLogger(), defaultPublishIntervalMs: 1000 });
    const poller = new Poller(reader, 20);
    const views: TableSnapshot[] = [];
    const states: string[] = [];
    poller.onChange((v) => views.push(v));
    poller.onStatus((s) => states.push(s.state));
    expect(poller.current()).toBeNull();
    poller.start();
    await waitFor(() => poller.current()?.generation === 10, { what: 'first view' });
    expect(states).toContain('ok');
    await publish(cache, 11, 7);
    await waitFor(() => poller.current()?.generation === 11, { what: 'second view' });
    // Polls in between found the same generation: no further change events.
    await new Promise((r) => setTimeout(r, 100));
    expect(views.map((v) => v.generation)).toEqual([10, 11]);
    expect(poller.current()!.symbols.rows).toHaveLength(7);
    await poller.stop();
    await publish(cache, 12);
    await new Promise((r) => setTimeout(r, 100));
    expect(poller.current()!.generation).toBe(11);
    expect(views).toHaveLength(2);
  });
});
