import type { ApiEnvelope, Status, SymbolDetail, SymbolsData } from '@confluence/contracts';
import { type Memcached, startMemcached } from '@confluence/testkit';
import { type Service, dumpOnFailure, getJson, postJson, simEnv, startAnalyzer, startSimulator, startWeb, stopAll } from '@confluence/testkit';
import { waitFor } from '@confluence/testkit';

/**
 * Issue 15 across real processes (memcached, the Bybit simulator, the analyzer, the web): what a long live run
 * breaks, seen the way an operator sees it - the analyzer's /health and the status the dashboard shows.
 * The intake-level details (candles equal to the uninterrupted record, order flow through a burst, universe churn,
 * the connection cap, the REST budget) are in services/analyzer/test/intake/live-run.test.ts.
 */
interface Health {
  intake: {
    state: string;
    accessBlock: { message: string; sample: string; since: number } | null;
    clock: { offsetMs: number | null; rttMs: number | null; samples: number };
    totals: { restErrors: number; rateLimited: number; accessBlocked: number; emptySnapshots: number };
    symbols: { repairing: number };
    warmup: { repairing: number; repairsDone: number; repairFailures: number };
    universe: { removedNotTrading: { symbol: string; status: string }[] };
  };
  symbols: Record<string, { repairing: string[]; reason: string | null }>;
}

const FAST = {
  PUBLISH_INTERVAL_MS: '500',
  BYBIT_PING_INTERVAL_MS: '500',
  BYBIT_PONG_TIMEOUT_MS: '2000',
  BYBIT_REST_403_BACKOFF_MS: '500',
  BYBIT_WS_BACKOFF_BASE_MS: '50',
  BYBIT_WS_BACKOFF_MAX_MS: '500',
};
const SYMBOLS = 'BTCUSDT,ETHUSDT,SOLUSDT';

const status = async (web: Service) => (await getJson<{ status: Status }>(`${web.url}/api/status`, { timeoutMs: 3000 })).body.status;
const table = async (web: Service) => (await getJson<ApiEnvelope<SymbolsData>>(`${web.url}/api/symbols`, { timeoutMs: 3000 })).body;
const health = async (a: Service) => (await getJson<Health>(`${a.url}/health`)).body;

type Sim = Awaited<ReturnType<typeof startSimulator>>;

describe('live faults across processes', () => {
  let mc: Memcached;
  let sim: Sim | undefined;
  let analyzer: Service | undefined;
  let web: Service | undefined;

  beforeAll(async () => {
    mc = await startMemcached();
  });

  afterEach(async () => {
    await stopAll(web, analyzer, sim);
    web = analyzer = sim = undefined;
  });

  afterAll(async () => {
    await mc?.stop();
  });

  const run = async (
    simExtra: Record<string, string>,
    analyzerExtra: Record<string, string>,
    body: (sim: Sim, a: Service, w: Service) => Promise<void>,
    before?: (s: Sim) => Promise<void>,
  ) => {
    sim = await startSimulator({ SIM_SEED: '15', ...simExtra });
    if (before) await before(sim);
    const prefix = `i15:${Math.random().toString(36).slice(2, 8)}:`;
    analyzer = await startAnalyzer({ ...simEnv(sim), ...FAST, MEMCACHED_SERVERS: mc.address, KEY_PREFIX: prefix, SYMBOLS, ...analyzerExtra });
    web = await startWeb({ ...FAST, MEMCACHED_SERVERS: mc.address, KEY_PREFIX: prefix });
    try {
      await body(sim, analyzer, web);
    } catch (err) {
      const intake = await health(analyzer).then(
        (h) => JSON.stringify(h.intake).slice(0, 3000),
        (e: Error) => e.message,
      );
      throw new Error(`${(err as Error).message}\n--- analyzer intake ---\n${intake}\n${dumpOnFailure(analyzer, web)}`);
    }
  };

  test('when Bybit answers with a 403 HTML page (geo block), then the dashboard says Bybit refuses the IP, the body is logged once, errors are counted, and it recovers', async () => {
    await run(
      {},
      {},
      async (s, a, w) => {
        const st = await waitFor(
          async () => {
            const x = await status(w);
            return x.exchangeBlocked ? x : null;
          },
          { timeoutMs: 30_000, what: 'exchangeBlocked status' },
        );
        expect(st.message).toMatch(/Bybit refuses this server's IP \(HTTP 403\)/);
        expect(st.message).not.toMatch(/Bybit unreachable/);
        const h = await health(a);
        expect(h.intake.accessBlock).toMatchObject({ message: "Bybit refuses this server's IP (HTTP 403)", sample: expect.stringContaining('403 ERROR') });
        expect(h.intake.totals.restErrors).toBeGreaterThan(0);
        expect(h.intake.totals.accessBlocked).toBeGreaterThan(0);
        expect(h.intake.totals.rateLimited).toBe(0);
        expect(await (await fetch(`${a.url}/metrics`)).text()).toMatch(/confluence_rest_access_blocked_total\{[^}]*\} [1-9]/);
        const ready = await getJson<{ reasons: string[] }>(`${a.url}/health/ready`);
        expect(ready.status).toBe(503);
        expect(ready.body.reasons.join(' ')).toMatch(/refuses this server's IP/);
        // Retries go on with backoff; once answers get through the block clears and the data comes.
        await waitFor(async () => (await health(a)).intake.totals.accessBlocked >= 2, { timeoutMs: 30_000, what: 'a retry while blocked' });
        await postJson(`${s.url}/sim/control/rest-fault`, { count: 0 });
        await waitFor(
          async () => {
            const x = await status(w);
            return x.state === 'ok' && !x.exchangeBlocked;
          },
          { timeoutMs: 120_000, what: 'ok after the block' },
        );
        expect((await health(a)).intake.accessBlock).toBeNull();
        // The body's first bytes were logged once for the whole block, not once per attempt.
        const logged = a.proc
          .output()
          .split('\n')
          .filter((l) => l.includes('bybit REST refuses this server'));
        expect(logged).toHaveLength(1);
        expect(logged[0]).toContain('<H1>403 ERROR</H1>');
      },
      async (s) => {
        await postJson(`${s.url}/sim/control/rest-fault`, { geoBlock: true, count: 1_000_000 });
      },
    );
  });

  test('when the WebSocket is out and REST fails at first, then the symbols are repairing (not fully fresh) on /health and the dashboard until the candles are backfilled', async () => {
    await run({}, {}, async (s, a, w) => {
      await waitFor(
        async () => {
          const t = await table(w);
          return t.status.state === 'ok' && t.data!.rows.length === 3 && t.data!.rows.every((r) => r.dataOk);
        },
        { timeoutMs: 90_000, what: 'ok with every row dataOk' },
      );
      await postJson(`${s.url}/sim/control/ws-outage`, { on: true });
      await waitFor(async () => (await health(a)).intake.state !== 'connected', { what: 'outage seen' });
      await postJson(`${s.url}/sim/control/rest-fault`, { status: 500, count: 1_000_000 });
      await postJson(`${s.url}/sim/control/ws-outage`, { on: false });
      const st = await waitFor(
        async () => {
          const x = await status(w);
          return x.repairing === 3 ? x : null;
        },
        { timeoutMs: 60_000, what: 'three symbols repairing in the status' },
      );
      expect(st.message).toMatch(/repairing candles of 3 symbols after a gap/);
      const h = await health(a);
      expect(h.intake.symbols.repairing).toBe(3);
      for (const sym of SYMBOLS.split(',')) expect(h.symbols[sym].repairing.length).toBeGreaterThan(0);
      await waitFor(async () => (await table(w)).data!.rows.every((r) => !r.dataOk && r.repairing === true), {
        what: 'rows not fully fresh, marked repairing',
      });
      // A repair that fails is retried with backoff, the symbols staying marked meanwhile.
      await waitFor(async () => (await health(a)).intake.warmup.repairFailures > 0, { timeoutMs: 60_000, what: 'a failed repair attempt' });
      expect((await status(w)).repairing).toBe(3);
      await postJson(`${s.url}/sim/control/rest-fault`, { count: 0 });
      await waitFor(
        async () => {
          const t = await table(w);
          return !t.status.repairing && t.status.state === 'ok' && t.data!.rows.every((r) => r.dataOk && !r.repairing);
        },
        { timeoutMs: 90_000, what: 'repaired and fresh again' },
      );
      const after = await health(a);
      expect(after.intake.warmup.repairsDone).toBeGreaterThanOrEqual(3);
      const metrics = await (await fetch(`${a.url}/metrics`)).text();
      expect(metrics).toMatch(/confluence_candle_repairs_total\{[^}]*\} [1-9]/);
      expect(metrics).toMatch(/confluence_symbols_repairing\{[^}]*\} 0/);
    });
  });

  test('when the exchange clock is 5 minutes behind the host, then /health reports the offset and scores judge event ages in exchange time', async () => {
    await run({ SIM_CLOCK_OFFSET_MS: '-300000' }, {}, async (_s, a, w) => {
      await waitFor(async () => (await status(w)).state === 'ok', { timeoutMs: 90_000, what: 'ok' });
      const h = await health(a);
      expect(h.intake.clock.samples).toBeGreaterThanOrEqual(1);
      expect(Math.abs(h.intake.clock.offsetMs! + 300_000)).toBeLessThan(2_000 + (h.intake.clock.rttMs ?? 0));
      // Fresh data looks fresh: against the host clock the book, ticker and trades would all be 5 minutes old.
      const detail = await waitFor(
        async () => {
          const r = await getJson<ApiEnvelope<SymbolDetail>>(`${w.url}/api/symbols/BTCUSDT`);
          return r.status === 200 ? r.body.data : null;
        },
        { what: 'BTC detail' },
      );
      expect(detail!.confidence.freshness).toBeGreaterThan(0.9);
    });
  });

  test('when an instrument goes to Settling and its book gets an empty u=1 snapshot, then it leaves the table and is never scored again', async () => {
    await run({}, {}, async (s, a, w) => {
      await waitFor(async () => (await table(w)).data?.rows.length === 3, { timeoutMs: 90_000, what: 'three rows' });
      await postJson(`${s.url}/sim/control/instrument-status`, { symbol: 'SOLUSDT', status: 'Settling' });
      await postJson(`${s.url}/sim/control/empty-snapshot`, { symbol: 'SOLUSDT' });
      await waitFor(
        async () => {
          const t = await table(w);
          return t.data!.rows.map((r) => r.symbol).join(',') === 'BTCUSDT,ETHUSDT';
        },
        { timeoutMs: 30_000, what: 'SOLUSDT out of the table' },
      );
      const h = await health(a);
      expect(h.intake.totals.emptySnapshots).toBeGreaterThanOrEqual(1);
      expect(h.intake.universe.removedNotTrading).toEqual([expect.objectContaining({ symbol: 'SOLUSDT', status: 'Settling' })]);
      expect(Object.keys(h.symbols)).toEqual(['BTCUSDT', 'ETHUSDT']);
    });
  });
});
