import { setTimeout as sleep } from 'node:timers/promises';
import { createCache } from '@confluence/cache';
import type { ApiEnvelope, Status, SymbolsData } from '@confluence/contracts';
import {
  META,
  buildOverviewEnvelope,
  buildSymbolsEnvelope,
  type Memcached,
  startMemcached,
  freePort,
  type Service,
  dumpOnFailure,
  getJson,
  postJson,
  simEnv,
  startAnalyzer,
  startSimulator,
  startWeb,
  stopAll,
  waitFor,
} from '@confluence/testkit';

/**
 * Issue 8's fault-injection suite: real memcached, simulator, analyzer and web as separate processes.
 * Every assertion is about what a user sees through the API and the status.
 */
interface Health {
  generation: number;
  intake: {
    state: string;
    totals: { reconnects: number; resyncs: number; malformed: Record<string, number>; subscribeRejected: number; restErrors: number; rateLimited: number };
  };
}

const FAST = {
  PUBLISH_INTERVAL_MS: '500',
  BYBIT_PING_INTERVAL_MS: '500',
  BYBIT_PONG_TIMEOUT_MS: '1000',
  BYBIT_REST_403_BACKOFF_MS: '500',
  MEMCACHED_TIMEOUT_MS: '300',
};
const SYMBOLS = 'BTCUSDT,ETHUSDT,SOLUSDT,XRPUSDT';

const status = async (web: Service) => (await getJson<{ status: Status }>(`${web.url}/api/status`, { timeoutMs: 3000 })).body.status;
const table = async (web: Service) => (await getJson<ApiEnvelope<SymbolsData>>(`${web.url}/api/symbols`, { timeoutMs: 3000 })).body;
const health = async (a: Service) => (await getJson<Health>(`${a.url}/health`)).body;
const untilState = (web: Service, state: Status['state'], timeoutMs = 20_000) =>
  waitFor(
    async () => {
      const s = await status(web);
      return s.state === state ? s : null;
    },
    { timeoutMs, what: `status ${state}` },
  );

describe('faults: memcached', () => {
  let mc: Memcached;
  let sim: Awaited<ReturnType<typeof startSimulator>>;
  let analyzer: Service;
  let web: Service;

  afterAll(async () => {
    await mc?.resume();
    await stopAll(web, analyzer, sim);
    await mc?.stop();
  });

  test('when memcached is down at start, killed mid-run and paused, then no crash, no hang, the right status and full recovery', async () => {
    mc = await startMemcached();
    await mc.stop();
    sim = await startSimulator({ SIM_SEED: '3' });
    analyzer = await startAnalyzer({ ...simEnv(sim), ...FAST, MEMCACHED_SERVERS: mc.address, SYMBOLS });
    web = await startWeb({ ...FAST, MEMCACHED_SERVERS: mc.address });
    try {
      // Down at start: both up, the web says so, requests answer quickly.
      await untilState(web, 'cache_unreachable');
      expect((await table(web)).status.state).toBe('cache_unreachable');
      // Memcached appears: ok within a couple of cycles.
      await mc.start();
      await untilState(web, 'ok', 60_000);
      const rows = (await table(web)).data!.rows.map((r) => r.symbol);
      expect(rows).toHaveLength(4);

      // Killed mid-run and restarted empty: the last data stays visible, then everything is restored.
      await mc.stop();
      await untilState(web, 'cache_unreachable');
      expect((await table(web)).data!.rows.map((r) => r.symbol)).toEqual(rows);
      await mc.start();
      await untilState(web, 'ok');
      await waitFor(async () => (await getJson(`${web.url}/api/symbols/BTCUSDT`)).status === 200, { what: 'detail restored' });

      // Paused (SIGSTOP): HTTP still answers (getJson gives up, failing the test, after its own 5 s deadline; the web's
      // Memcached deadline is far shorter), never with a 5xx; the status says unreachable; recovery after SIGCONT.
      await mc.pause();
      const during = await getJson(`${web.url}/api/symbols/ETHUSDT`, { timeoutMs: 5000 });
      expect(during.status).toBeLessThan(500);
      await untilState(web, 'cache_unreachable');
      await mc.resume();
      await untilState(web, 'ok');
      expect(analyzer.proc.exited()).toBe(false);
      expect(web.proc.exited()).toBe(false);
    } catch (err) {
      throw new Error(`${(err as Error).message}\n${dumpOnFailure(analyzer, web)}`);
    }
  });
});

describe('faults: analyzer killed', () => {
  let mc: Memcached;
  let sim: Awaited<ReturnType<typeof startSimulator>>;
  let analyzer: Service | undefined;
  let web: Service;

  afterAll(async () => {
    await stopAll(web, analyzer, sim);
    await mc?.stop();
  });

  test('when the analyzer is SIGKILLed and restarted, then stale with the data age, then ok with newer generations', async () => {
    mc = await startMemcached();
    sim = await startSimulator({ SIM_SEED: '4' });
    const env = { ...simEnv(sim), ...FAST, MEMCACHED_SERVERS: mc.address, SYMBOLS };
    analyzer = await startAnalyzer(env);
    web = await startWeb({ ...FAST, MEMCACHED_SERVERS: mc.address });
    try {
      await untilState(web, 'ok', 60_000);
      const genBefore = (await table(web)).generation!;
      await analyzer.proc.stop('SIGKILL');
      const stale = await untilState(web, 'stale');
      expect(stale.dataAgeMs).toBeGreaterThanOrEqual(1500);
      expect((await table(web)).data!.rows).toHaveLength(4);
      analyzer = await startAnalyzer({ ...env, ANALYZER_PORT: String(analyzer.port) });
      await untilState(web, 'ok', 60_000);
      const after = await table(web);
      expect(after.generation!).toBeGreaterThan(genBefore);
    } catch (err) {
      throw new Error(`${(err as Error).message}\n${dumpOnFailure(analyzer, web)}`);
    }
  });
});

describe('faults: exchange', () => {
  let mc: Memcached;
  let sim: Awaited<ReturnType<typeof startSimulator>>;
  let analyzer: Service | undefined;
  let web: Service | undefined;

  afterAll(async () => {
    await stopAll(web, analyzer, sim);
    await mc?.stop();
  });

  test('when the simulator drops, stalls pongs, gaps, floods, rejects and rate-limits, then the analyzer recovers and counts each fault', async () => {
    mc = await startMemcached();
    sim = await startSimulator({ SIM_SEED: '9' });
    // REST trouble during warm-up: a rate-limit answer, a 403 and server errors before the first success.
    await postJson(`${sim.url}/sim/control/rest-fault`, { retCode: 10006, count: 3 });
    await postJson(`${sim.url}/sim/control/reject`, { pattern: 'allLiquidation.SOLUSDT' });
    analyzer = await startAnalyzer({ ...simEnv(sim), ...FAST, MEMCACHED_SERVERS: mc.address, SYMBOLS });
    web = await startWeb({ ...FAST, MEMCACHED_SERVERS: mc.address });
    const a = analyzer;
    const w = web;
    try {
      await untilState(w, 'ok', 90_000);
      let h = await health(a);
      expect(h.intake.totals.rateLimited).toBeGreaterThan(0);
      expect(h.intake.totals.subscribeRejected).toBeGreaterThan(0);
      await postJson(`${sim.url}/sim/control/reset`, {});

      // Sample the table continuously during book faults: a row whose book is not synced never carries an order-book score.
      let sampling = true;
      const violations: string[] = [];
      const sampler = (async () => {
        while (sampling && !a.proc.exited()) {
          const t = await table(w).catch(() => null);
          // dataOk is also false while candles are repaired after a reconnect (book synced, `repairing` set).
          for (const r of t?.data?.rows ?? [])
            if (!r.dataOk && !r.repairing && r.components.orderbook !== null) violations.push(`${r.symbol} gen ${t!.generation}`);
          await sleep(50);
        }
      })();
      const before = h.intake.totals;
      try {
        await postJson(`${sim.url}/sim/control/gap`, { symbol: 'ETHUSDT' });
        await postJson(`${sim.url}/sim/control/crossed`, { symbol: 'XRPUSDT' });
        await waitFor(async () => (await health(a)).intake.totals.resyncs >= before.resyncs + 2, { what: 'two resyncs' });
        const sent = await postJson(`${sim.url}/sim/control/malformed`, { count: 500 });
        expect((sent.body as { sent: number }).sent).toBeGreaterThanOrEqual(500);
        await waitFor(async () => Object.values((await health(a)).intake.totals.malformed).reduce((x, y) => x + y, 0) >= 500, { what: 'malformed counted' });
        await postJson(`${sim.url}/sim/control/stall-pongs`, { ms: 4000 });
        await waitFor(async () => (await health(a)).intake.totals.reconnects > before.reconnects, { what: 'reconnect after stalled pongs' });
        await postJson(`${sim.url}/sim/control/drop`, {});
        const reconnectsAfterStall = (await health(a)).intake.totals.reconnects;
        await waitFor(async () => (await health(a)).intake.totals.reconnects > reconnectsAfterStall, { what: 'reconnect after drop' });
        await waitFor(
          async () => {
            const t = await table(w);
            return t.status.state === 'ok' && !t.status.feedDown && t.data!.rows.every((r) => r.dataOk);
          },
          { timeoutMs: 30_000, what: 'full recovery' },
        );
      } finally {
        // Stop the sampler on every path: left running after a failure, its timer loop keeps Jest from exiting.
        sampling = false;
        await sampler;
      }
      expect(violations).toEqual([]);

      h = await health(a);
      const metrics = await (await fetch(`${a.url}/metrics`)).text();
      for (const name of [
        'confluence_ws_reconnects_total',
        'confluence_book_resyncs_total',
        'confluence_subscribe_rejected_total',
        'confluence_rest_rate_limited_total',
      ]) {
        expect(metrics).toMatch(new RegExp(`${name}\\{[^}]*\\} [1-9]`));
      }
      expect(metrics).toMatch(/confluence_malformed_messages_total\{[^}]*reason="[a-z_]+"[^}]*\} [1-9]/);
      expect(a.proc.exited()).toBe(false);
    } catch (err) {
      const simState = await getJson<{ counters: unknown; faults: unknown }>(`${sim.url}/sim/state`).then(
        (r) => r.body,
        (e: Error) => e.message,
      );
      const intake = await health(a).then(
        (x) => x.intake,
        (e: Error) => e.message,
      );
      const diag = `--- simulator ---\n${JSON.stringify(typeof simState === 'string' ? simState : { counters: simState.counters, faults: simState.faults })}\n--- analyzer intake ---\n${JSON.stringify(intake)}`;
      throw new Error(`${(err as Error).message}\n${diag}\n${dumpOnFailure(analyzer, web)}`);
    }
  });
});

describe('faults: bad input and contract drift', () => {
  let mc: Memcached;
  let web: Service;

  afterAll(async () => {
    await stopAll(web);
    await mc?.stop();
  });

  test('when routes get hostile parameters, then every answer is a 4xx with the error shape, never a 5xx', async () => {
    mc = await startMemcached();
    web = await startWeb({ MEMCACHED_SERVERS: mc.address });
    // With data present, a parameter that happens to be valid gets a 200; anything else must be a clean 4xx.
    const cache = createCache({ servers: [mc.address], timeoutMs: 500 });
    const meta = { ...META, producedAt: Date.now() };
    await cache.set('confluence:v1:symbols', JSON.stringify(buildSymbolsEnvelope(5, meta)), 60);
    await cache.set('confluence:v1:overview', JSON.stringify(buildOverviewEnvelope(5, meta)), 60);
    cache.close();
    await waitFor(async () => (await getJson(`${web.url}/api/symbols`)).status === 200, { what: 'table served' });
    const hostile = [
      '<script>alert(1)</script>',
      "' OR 1=1 --",
      '../../etc/passwd',
      '%00',
      '%',
      '%E0%A4%A',
      'A'.repeat(5000),
      '😀',
      'BTCUSDT?sort=__proto__',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal log4shell probe string, sent as it is
      '${jndi:ldap://x}',
      '\u0000\u0001',
      '-1',
      'a b',
      '__proto__',
    ];
    // Odd but harmless values: may be valid for some parameters (q=null), must never break anything.
    const odd = ['null', 'undefined', '1e309', 'constructor'];
    const seeds = Array.from({ length: 40 }, (_, i) => Buffer.from(Array.from({ length: 1 + (i % 17) }, (_, j) => (i * 31 + j * 7) % 256)).toString('latin1'));
    let clientErrors = 0;
    for (const raw of [...hostile, ...odd, ...seeds]) {
      const v = /%/.test(raw) ? raw : encodeURIComponent(raw);
      const mustFail = hostile.includes(raw);
      for (const path of [
        `/api/symbols/${v}`,
        `/api/symbols/${v}/history`,
        `/api/symbols?sort=${v}`,
        `/api/symbols?direction=${v}`,
        `/api/symbols?limit=${v}`,
        `/api/symbols?q=${v}`,
        `/api/timeline/${v}`,
        `/api/${v}`,
      ]) {
        const res = await getJson<{ error?: { code: string; message: string } }>(`${web.url}${path}`);
        if (res.status >= 500) throw new Error(`${path} → ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
        if (res.status >= 400) {
          clientErrors++;
          if (!res.body?.error?.code || !res.body.error.message) throw new Error(`${path} → ${res.status} without the error shape`);
        } else if (mustFail) throw new Error(`${path} → ${res.status}: a hostile value was accepted`);
      }
    }
    expect(clientErrors).toBeGreaterThan(400);
    expect(web.proc.exited()).toBe(false);
  });

  test('when a value has an unknown schema or is corrupt, then the status reports it and it is not rendered', async () => {
    const cache = createCache({ servers: [mc.address], timeoutMs: 500 });
    try {
      const now = Date.now();
      await cache.set(
        'confluence:v1:symbols',
        JSON.stringify({ schema: 2, kind: 'symbols', generation: 1, producedAt: now, analyzerId: 'future', source: 'live', data: { rows: 'new format' } }),
        60,
      );
      const s1 = await waitFor(
        async () => {
          const s = await status(web);
          return s.rejected.some((r) => r.reason === 'newer_schema') ? s : null;
        },
        { what: 'newer schema reported' },
      );
      expect(s1.message).toMatch(/not understood — not shown/);
      // The value is not rendered: the last valid table stays, marked by the status.
      const served = await getJson<ApiEnvelope<SymbolsData>>(`${web.url}/api/symbols`);
      expect(served.body.data!.rows.map((r) => r.symbol)).toEqual(['SYM0USDT', 'SYM1USDT', 'SYM2USDT', 'SYM3USDT', 'SYM4USDT']);
      expect(JSON.stringify(served.body)).not.toMatch(/new format/);
      await cache.set('confluence:v1:symbols', Buffer.from([0x7b, 0x22, 0xff, 0x00, 0x13]), 60);
      await waitFor(async () => (await status(web)).rejected.some((r) => r.reason === 'not_json'), { what: 'corrupt value reported' });
    } finally {
      cache.close();
    }
  });
});

describe('faults: Bybit unreachable on a live start', () => {
  let mc: Memcached;
  let analyzer: Service | undefined;
  let web: Service | undefined;

  afterAll(async () => {
    await stopAll(web, analyzer);
    await mc?.stop();
  });

  test('when the exchange cannot be reached, then the dashboard says so (not simulated, not waiting) and the analyzer keeps retrying', async () => {
    mc = await startMemcached();
    const dead = await freePort();
    analyzer = await startAnalyzer({
      MARKET_SOURCE: 'live',
      BYBIT_WS_URL: `ws://127.0.0.1:${dead}/v5/public/linear`,
      BYBIT_REST_URL: `http://127.0.0.1:${dead}`,
      ...FAST,
      MEMCACHED_SERVERS: mc.address,
      SYMBOLS,
    });
    web = await startWeb({ ...FAST, MEMCACHED_SERVERS: mc.address });
    try {
      const s = await waitFor(
        async () => {
          const st = await status(web!);
          return st.feedDown ? st : null;
        },
        { what: 'feedDown' },
      );
      expect(s.simulated).toBe(false);
      expect(s.source).toBe('live');
      expect(s.message).toMatch(/Bybit unreachable — retrying/);
      expect(s.state).not.toBe('no_data');
      const ready = await getJson<{ ready: boolean; reasons: string[] }>(`${analyzer.url}/health/ready`);
      expect(ready.status).toBe(503);
      expect(ready.body.reasons.join(' ')).toMatch(/exchange feed/);
    } catch (err) {
      throw new Error(`${(err as Error).message}\n${dumpOnFailure(analyzer, web)}`);
    }
  });
});
