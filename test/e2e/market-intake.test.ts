import type { ApiEnvelope, SymbolsData } from '@confluence/contracts';
import { type Memcached, startMemcached } from '@confluence/testkit';
import { type Service, dumpOnFailure, getJson, postJson, simEnv, startAnalyzer, startSimulator, startWeb, stopAll } from '@confluence/testkit';
import { waitFor } from '@confluence/testkit';

interface SimState {
  symbols: Record<string, { lastPrice: number; lastTradeId?: string; regime?: string }>;
}

interface AnalyzerHealth {
  intake: { totals: { reconnects: number; resyncs: number; malformed: Record<string, number> }; connections: Array<{ state: string }> };
}

/**
 * Issue 4: simulator, analyzer and web as separate processes with real Memcached. Every tracked symbol's
 * price in /api/symbols follows the simulator's last trade; after a dropped connection and a sequence gap
 * the analyzer recovers by itself and its health API shows the reconnect and the resync.
 */
describe('market intake end to end', () => {
  let mc: Memcached;
  let sim: Awaited<ReturnType<typeof startSimulator>>;
  let analyzer: Service;
  let web: Service;
  const SYMBOLS = ['BTCUSDT', 'ETHUSDT', 'SOLUSDT', 'XRPUSDT', 'DOGEUSDT'];

  beforeAll(async () => {
    mc = await startMemcached();
    sim = await startSimulator({ SIM_SEED: '11' });
    // Scored in two worker threads (auto picks the main thread on a 2-core machine): the pool's wiring is covered here.
    analyzer = await startAnalyzer({
      ...simEnv(sim),
      MEMCACHED_SERVERS: mc.address,
      SYMBOLS: SYMBOLS.join(','),
      PUBLISH_INTERVAL_MS: '500',
      ANALYZER_SCORING_WORKERS: '2',
      ANALYZER_INTAKE_THREAD: '1',
    });
    web = await startWeb({ MEMCACHED_SERVERS: mc.address, PUBLISH_INTERVAL_MS: '500' });
  });

  afterAll(async () => {
    await stopAll(web, analyzer, sim);
    await mc?.stop();
  });

  const table = async () => (await getJson<ApiEnvelope<SymbolsData>>(`${web.url}/api/symbols`)).body;
  const simState = async () => (await getJson<SimState>(`${sim.url}/sim/state`)).body;
  const health = async () => (await getJson<AnalyzerHealth>(`${analyzer.url}/health`)).body;

  /** Relative difference small enough to be the same trade price seen a cycle later. */
  const close = (a: number, b: number) => Math.abs(a - b) / b < 0.002;

  test('when the simulator trades, then every tracked symbol shows its last trade price', async () => {
    try {
      await waitFor(async () => (await table()).status?.state === 'ok', { timeoutMs: 60_000, what: 'ok' });
      await waitFor(
        async () => {
          const [t, s] = await Promise.all([table(), simState()]);
          const rows = t.data?.rows ?? [];
          return rows.length === SYMBOLS.length && rows.every((r) => r.price !== null && close(r.price, s.symbols[r.symbol].lastPrice));
        },
        { timeoutMs: 20_000, what: 'prices to follow the simulator' },
      );
      // A deliberate jump is followed too.
      await postJson(`${sim.url}/sim/control/price`, { symbol: 'ETHUSDT', price: 4321 });
      await waitFor(
        async () => {
          const row = (await table()).data?.rows.find((r) => r.symbol === 'ETHUSDT');
          return row && row.price !== null && Math.abs(row.price - 4321) / 4321 < 0.01;
        },
        { timeoutMs: 10_000, what: 'the ETH jump in /api/symbols' },
      );
    } catch (err) {
      throw new Error(`${(err as Error).message}\n${dumpOnFailure(sim, analyzer, web)}`);
    }
  });

  test('when scoring runs in worker threads, then every symbol gets a score and the metrics say two workers score, with intake in its own thread', async () => {
    await waitFor(
      async () => {
        const rows = (await table()).data?.rows ?? [];
        return rows.length === SYMBOLS.length && rows.every((r) => r.score !== null && r.direction !== null);
      },
      { timeoutMs: 30_000, what: 'a score for every symbol' },
    );
    const metrics = await fetch(`${analyzer.url}/metrics`).then((r) => r.text());
    expect(metrics.split('\n').filter((l) => l.startsWith('confluence_scoring_worker'))).toEqual([
      'confluence_scoring_workers{service="analyzer"} 2',
      'confluence_scoring_worker_restarts_total{service="analyzer"} 0',
    ]);
    expect(metrics.split('\n').filter((l) => l.startsWith('confluence_intake_thread'))).toEqual([
      'confluence_intake_thread{service="analyzer"} 1',
      'confluence_intake_thread_restarts_total{service="analyzer"} 0',
    ]);
  });

  test('when the connection drops and a book gaps, then the analyzer reconnects and resyncs by itself', async () => {
    try {
      const before = (await health()).intake.totals;
      await postJson(`${sim.url}/sim/control/gap`, { symbol: 'BTCUSDT' });
      await waitFor(async () => (await health()).intake.totals.resyncs > before.resyncs, { timeoutMs: 15_000, what: 'a book resync' });
      await postJson(`${sim.url}/sim/control/drop`, {});
      await waitFor(async () => (await health()).intake.totals.reconnects > before.reconnects, { timeoutMs: 15_000, what: 'a reconnect' });
      await waitFor(async () => (await health()).intake.connections.every((c) => c.state === 'connected'), { what: 'reconnected' });
      const sent = await postJson(`${sim.url}/sim/control/malformed`, { count: 50 });
      expect((sent.body as { sent: number }).sent).toBeGreaterThanOrEqual(50);
      await waitFor(async () => Object.values((await health()).intake.totals.malformed).reduce((a, b) => a + b, 0) >= 50, {
        timeoutMs: 10_000,
        what: 'malformed counted',
      });
      // Back to normal: every connection up, data flowing and the book of BTC synced again.
      await waitFor(
        async () => {
          const h = await health();
          const t = await table();
          const btc = t.data?.rows.find((r) => r.symbol === 'BTCUSDT');
          return h.intake.connections.every((c) => c.state === 'connected') && t.status.state === 'ok' && btc?.dataOk === true;
        },
        { timeoutMs: 30_000, what: 'recovery' },
      );
      const metrics = await (await fetch(`${analyzer.url}/metrics`)).text();
      expect(metrics).toMatch(/confluence_ws_reconnects_total\{service="analyzer"\} [1-9]/);
      expect(metrics).toMatch(/confluence_book_resyncs_total\{service="analyzer"\} [1-9]/);
      expect(metrics).toMatch(/confluence_malformed_messages_total\{reason="[a-z_]+",service="analyzer"\} \d+/);
      // The simulator speaks Bybit's wire format, so its book, trade and ticker frames take the exact fast scanner.
      expect(metrics).toMatch(/confluence_fast_decoded_messages_total\{service="analyzer"\} [1-9]/);
      expect(metrics).toMatch(/confluence_fast_decode_errors_total\{service="analyzer"\} 0\n/);
    } catch (err) {
      throw new Error(`${(err as Error).message}\n${dumpOnFailure(sim, analyzer, web)}`);
    }
  });
});
