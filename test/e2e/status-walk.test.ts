import type { ApiEnvelope, HistoryData, Status, SymbolsData } from '@confluence/contracts';
import { type Memcached, startMemcached } from '@confluence/testkit';
import { type Service, dumpOnFailure, getJson, simEnv, startAnalyzer, startSimulator, startWeb, stopAll } from '@confluence/testkit';
import { waitFor } from '@confluence/testkit';

/**
 * Issue 3's walk through the status machine, with the web and the analyzer as separate OS processes
 * sharing one real Memcached: no_data → ok → (analyzer stopped) stale → (Memcached stopped)
 * cache_unreachable with the last data still shown → (Memcached back, empty) ok again with nothing lost.
 */
describe('status walk across real processes', () => {
  let mc: Memcached;
  let sim: Awaited<ReturnType<typeof startSimulator>>;
  let web: Service;
  let analyzer: Service | undefined;

  const status = async () => (await getJson<{ status: Status }>(`${web.url}/api/status`)).body.status;
  const symbols = () => getJson<ApiEnvelope<SymbolsData>>(`${web.url}/api/symbols`);

  beforeAll(async () => {
    mc = await startMemcached();
    sim = await startSimulator({ SIM_SEED: '7' });
    web = await startWeb({ MEMCACHED_SERVERS: mc.address, PUBLISH_INTERVAL_MS: '500' });
  });

  afterAll(async () => {
    analyzer?.proc.child.kill('SIGCONT');
    await stopAll(analyzer, web, sim);
    await mc?.stop();
  });

  test('when the analyzer publishes, stops and Memcached fails, then the web always says the truth', async () => {
    try {
      // 1. Nothing published yet: no_data, and the table endpoint says so with a 503 and the status.
      expect((await status()).state).toBe('no_data');
      const empty = await symbols();
      expect(empty.status).toBe(503);
      expect(empty.body).toMatchObject({ error: { code: 'no_data' } });

      // 2. An analyzer starts: the web reaches ok with every tracked symbol, marked simulated.
      analyzer = await startAnalyzer({
        ...simEnv(sim),
        MEMCACHED_SERVERS: mc.address,
        TOP_SYMBOLS: '5',
        PUBLISH_INTERVAL_MS: '500',
        HISTORY_INTERVAL_MS: '1000',
      });
      const okStatus = await waitFor(
        async () => {
          const s = await status();
          return s.state === 'ok' ? s : null;
        },
        { timeoutMs: 60_000, what: 'status ok' },
      );
      expect(okStatus.simulated).toBe(true);
      const table = await symbols();
      expect(table.status).toBe(200);
      expect(table.body.data!.rows).toHaveLength(5);
      expect(table.body.data!.rows.every((r) => r.price !== null && r.score !== null)).toBe(true);
      const before = table.body.data!.rows.map((r) => r.symbol).sort();
      await waitFor(
        async () => {
          const h = await getJson<ApiEnvelope<HistoryData>>(`${web.url}/api/symbols/${before[0]}/history`);
          return h.body.data && h.body.data.points.length >= 1;
        },
        { timeoutMs: 20_000, what: 'a history point' },
      );

      // 3. The analyzer stops answering (SIGSTOP keeps its memory): stale, with the data and its age.
      analyzer.proc.child.kill('SIGSTOP');
      const stale = await waitFor(
        async () => {
          const s = await status();
          return s.state === 'stale' ? s : null;
        },
        { timeoutMs: 15_000, what: 'status stale' },
      );
      expect(stale.dataAgeMs).toBeGreaterThan(1000);
      expect(stale.message).toMatch(/Analyzer stale — showing data from/);
      expect((await symbols()).body.data!.rows).toHaveLength(5);

      // 4. Memcached goes away: cache_unreachable, and the last data is still served.
      await mc.stop();
      const unreachable = await waitFor(
        async () => {
          const s = await status();
          return s.state === 'cache_unreachable' ? s : null;
        },
        { timeoutMs: 15_000, what: 'status cache_unreachable' },
      );
      expect(unreachable.message).toMatch(/Cache unreachable — showing last known data/);
      const held = await symbols();
      expect(held.status).toBe(200);
      expect(held.body.status.state).toBe('cache_unreachable');
      expect(held.body.data!.rows.map((r) => r.symbol).sort()).toEqual(before);

      // 5. Memcached comes back empty and the analyzer resumes: ok again, nothing lost.
      await mc.start();
      analyzer.proc.child.kill('SIGCONT');
      await waitFor(async () => (await status()).state === 'ok', { timeoutMs: 30_000, what: 'status ok again' });
      const again = await symbols();
      expect(again.body.data!.rows.map((r) => r.symbol).sort()).toEqual(before);
      const history = await waitFor(
        async () => {
          const h = await getJson<ApiEnvelope<HistoryData>>(`${web.url}/api/symbols/${before[0]}/history`);
          return h.status === 200 && h.body.data && h.body.data.points.length >= 1 ? h.body.data : null;
        },
        { timeoutMs: 20_000, what: 'history restored after the Memcached restart' },
      );
      expect(history.points.length).toBeGreaterThanOrEqual(1);
      const detail = await getJson<ApiEnvelope<unknown>>(`${web.url}/api/symbols/${before[0]}`);
      expect(detail.status).toBe(200);
    } catch (err) {
      throw new Error(`${(err as Error).message}\n${dumpOnFailure(analyzer, web, sim)}`);
    }
  });
});
