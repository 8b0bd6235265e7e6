import type { ApiEnvelope, Status, SymbolsData } from '@confluence/contracts';
import { type Memcached, startMemcached } from '@confluence/testkit';
import { type Service, dumpOnFailure, getJson, simEnv, startAnalyzer, startSimulator, startWeb, stopAll } from '@confluence/testkit';
import { waitFor } from '@confluence/testkit';

/**
 * The scale-out plan on one machine: three Memcached servers (consistent hashing), two analyzer shards each owning a
 * deterministic slice of the universe, two web servers that merge the shards and answer identically.
 */
describe('scale-out: 3 memcached, 2 analyzer shards, 2 web servers', () => {
  const mcs: Memcached[] = [];
  let sim: Awaited<ReturnType<typeof startSimulator>>;
  const analyzers: Service[] = [];
  const webs: Service[] = [];
  const SYMBOLS = ['BTCUSDT', 'ETHUSDT', 'SOLUSDT', 'XRPUSDT', 'DOGEUSDT', 'BNBUSDT', 'ADAUSDT', 'LINKUSDT'];

  beforeAll(async () => {
    for (let i = 0; i < 3; i++) mcs.push(await startMemcached());
    const servers = mcs.map((m) => m.address).join(',');
    sim = await startSimulator({ SIM_SEED: '5' });
    for (let i = 0; i < 2; i++) {
      analyzers.push(
        await startAnalyzer({
          ...simEnv(sim),
          MEMCACHED_SERVERS: servers,
          SYMBOLS: SYMBOLS.join(','),
          SHARD: `${i}/2`,
          PUBLISH_INTERVAL_MS: '500',
          ANALYZER_ID: `shard-${i}`,
        }),
      );
    }
    for (let i = 0; i < 2; i++) webs.push(await startWeb({ MEMCACHED_SERVERS: servers, PUBLISH_INTERVAL_MS: '500' }));
  });

  afterAll(async () => {
    await stopAll(...webs, ...analyzers, sim);
    for (const m of mcs) await m.stop();
  });

  test('when both shards publish, then each web merges all symbols and both webs answer the same', async () => {
    try {
      for (const web of webs) {
        await waitFor(
          async () => {
            const t = (await getJson<ApiEnvelope<SymbolsData>>(`${web.url}/api/symbols`)).body;
            return t.status?.state === 'ok' && t.data?.rows.length === SYMBOLS.length;
          },
          { timeoutMs: 60_000, what: 'merged table' },
        );
      }
      const [a, b] = await Promise.all(webs.map(async (w) => (await getJson<ApiEnvelope<SymbolsData>>(`${w.url}/api/symbols`)).body));
      expect(a.data!.rows.map((r) => r.symbol)).toEqual([...SYMBOLS].sort());
      expect(b.data!.rows.map((r) => r.symbol)).toEqual(a.data!.rows.map((r) => r.symbol));
      expect(a.status.shards?.map((s) => s.state)).toEqual(['ok', 'ok']);
      // Each shard owns a non-empty, disjoint slice.
      const counts = a.status.shards!.map((s) => s.symbolCount);
      expect(counts.every((n) => n > 0)).toBe(true);
      expect(counts.reduce((x, y) => x + y, 0)).toBe(SYMBOLS.length);
      // Keys are spread over all three Memcached servers.
      const statsPerServer = await Promise.all(mcs.map((m) => itemCount(m.port)));
      expect(statsPerServer.filter((n) => n > 0).length).toBe(3);
      // Both webs give the same detail for the same symbol (once they read the same generation).
      await waitFor(
        async () => {
          const [d1, d2] = await Promise.all(webs.map(async (w) => (await getJson<ApiEnvelope<{ symbol: string }>>(`${w.url}/api/symbols/BTCUSDT`)).body));
          return d1.generation === d2.generation && JSON.stringify(d1.data) === JSON.stringify(d2.data);
        },
        { timeoutMs: 10_000, what: 'identical details' },
      );

      // One shard dies: the webs report it by name and keep the other shard's data.
      await analyzers[1].proc.stop('SIGKILL');
      const status = await waitFor(
        async () => {
          const s = (await getJson<{ status: Status }>(`${webs[0].url}/api/status`)).body.status;
          return s.shards?.some((x) => x.state === 'stale') ? s : null;
        },
        { timeoutMs: 15_000, what: 'a stale shard' },
      );
      expect(status.message).toMatch(/shard 1\/2 stale/);
      expect(status.state).toBe('stale');
    } catch (err) {
      throw new Error(`${(err as Error).message}\n${dumpOnFailure(...analyzers, ...webs)}`);
    }
  });
});

/** `stats` over memcached's text protocol: how many items a server holds. */
async function itemCount(port: number): Promise<number> {
  const net = await import('node:net');
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    let data = '';
    socket.setTimeout(2000, () => socket.destroy(new Error('stats timeout')));
    socket.on('data', (c) => {
      data += c.toString();
      if (data.includes('END\r\n')) {
        socket.end();
        const m = /STAT curr_items (\d+)/.exec(data);
        resolve(m ? Number(m[1]) : 0);
      }
    });
    socket.on('error', reject);
    socket.on('connect', () => socket.write('stats\r\n'));
  });
}
