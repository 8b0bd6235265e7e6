import { type Memcached, startMemcached } from '@confluence/testkit';
import { type Service, dumpOnFailure, getJson, simEnv, startAnalyzer, startSimulator, startWeb, stopAll } from '@confluence/testkit';
import { waitFor } from '@confluence/testkit';

/** Graceful shutdown with real processes: SIGTERM/SIGINT → exit 0 within 5 s, SSE streams closed. */
describe('graceful shutdown', () => {
  let mc: Memcached;
  let sim: Awaited<ReturnType<typeof startSimulator>>;
  let analyzer: Service | undefined;
  let web: Service | undefined;

  beforeAll(async () => {
    mc = await startMemcached();
    sim = await startSimulator();
  });
  afterAll(async () => {
    await stopAll(web, analyzer, sim);
    await mc?.stop();
  });

  test.each(['SIGTERM', 'SIGINT'] as const)('when %s is sent mid-run, then both services exit 0 within 5 s', async (signal) => {
    analyzer = await startAnalyzer({ ...simEnv(sim), MEMCACHED_SERVERS: mc.address, SYMBOLS: 'BTCUSDT,ETHUSDT', PUBLISH_INTERVAL_MS: '200' });
    web = await startWeb({ MEMCACHED_SERVERS: mc.address });
    try {
      await waitFor(async () => (await getJson<{ status: { state: string } }>(`${web!.url}/api/status`)).body.status.state === 'ok', {
        timeoutMs: 60_000,
        what: 'ok',
      });
      // An open SSE stream must not keep the web alive.
      const controller = new AbortController();
      const stream = await fetch(`${web.url}/api/stream`, { signal: controller.signal });
      const reader = stream.body!.getReader();
      const drained = (async () => {
        for (;;) if ((await reader.read()).done) return 'closed';
      })().catch(() => 'aborted');
      web.proc.child.kill(signal);
      analyzer.proc.child.kill(signal);
      // Both must exit 0 within the 5 s budget: waitForExit rejects (failing the test) while a process still runs.
      const [webCode, analyzerCode] = await Promise.all([web.proc.waitForExit(5000), analyzer.proc.waitForExit(5000)]);
      expect(webCode).toBe(0);
      expect(analyzerCode).toBe(0);
      expect(await drained).toBe('closed');
      controller.abort();
      expect(analyzer.proc.output()).toMatch(/analyzer stopped/);
    } catch (err) {
      throw new Error(`${(err as Error).message}\n${dumpOnFailure(analyzer, web)}`);
    }
  });
});
