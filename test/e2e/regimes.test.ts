import type { ApiEnvelope, SymbolsData } from '@confluence/contracts';
import { type Memcached, startMemcached } from '@confluence/testkit';
import { type Service, dumpOnFailure, getJson, simEnv, startAnalyzer, startSimulator, startWeb, stopAll } from '@confluence/testkit';
import { waitFor } from '@confluence/testkit';

interface SimState {
  symbols: Record<string, { regime?: string }>;
}

/**
 * Issue 5: on the simulator's trending-up, trending-down and ranging markets the scores separate as a trader
 * would expect, and across the 15 most traded simulated symbols they spread out instead of clustering at 50.
 */
describe('scores on simulated regimes', () => {
  let mc: Memcached;
  let sim: Awaited<ReturnType<typeof startSimulator>>;
  let analyzer: Service;
  let web: Service;

  beforeAll(async () => {
    mc = await startMemcached();
    sim = await startSimulator({ SIM_SEED: '42' });
    analyzer = await startAnalyzer({ ...simEnv(sim), MEMCACHED_SERVERS: mc.address, TOP_SYMBOLS: '15' });
    web = await startWeb({ MEMCACHED_SERVERS: mc.address });
  });
  afterAll(async () => {
    await stopAll(web, analyzer, sim);
    await mc?.stop();
  });

  test('when 15 symbols trend up, down or range, then their scores separate and spread', async () => {
    try {
      const table = await waitFor(
        async () => {
          const t = (await getJson<ApiEnvelope<SymbolsData>>(`${web.url}/api/symbols`)).body;
          return t.status?.state === 'ok' && t.data?.rows.length === 15 && t.data.rows.every((r) => r.score !== null) ? t.data : null;
        },
        { timeoutMs: 60_000, what: '15 scored symbols' },
      );
      const regimes = (await getJson<SimState>(`${sim.url}/sim/state`)).body.symbols;
      const by = (regime: string) => table.rows.filter((r) => regimes[r.symbol]?.regime === regime).map((r) => r.score!);
      const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
      const up = by('up');
      const down = by('down');
      const range = by('range');
      const summary = table.rows.map((r) => `${r.symbol}:${regimes[r.symbol]?.regime}:${r.score}`).join(' ');
      expect([up.length, down.length, range.length]).toEqual([5, 5, 5]);
      expect(mean(up)).toBeGreaterThan(mean(range) + 5);
      expect(mean(range)).toBeGreaterThan(mean(down) + 5);
      expect(mean(up)).toBeGreaterThan(55);
      expect(mean(down)).toBeLessThan(45);
      // Spread: the table is not a wall of 50s.
      const scores = table.rows.map((r) => r.score!);
      expect(Math.max(...scores) - Math.min(...scores)).toBeGreaterThan(25);
      expect(scores.filter((s) => s >= 60 || s <= 40).length).toBeGreaterThanOrEqual(4);
      console.log(`regime scores: ${summary}`);
    } catch (err) {
      throw new Error(`${(err as Error).message}\n${dumpOnFailure(sim, analyzer, web)}`);
    }
  });
});
