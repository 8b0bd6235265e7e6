import path from 'node:path';
import type { AlertsData, ApiEnvelope, CalibrationData, HistoryData, SymbolDetail, TimelineData } from '@confluence/contracts';
import {
  type Memcached,
  type Proc,
  ROOT,
  type Service,
  dumpOnFailure,
  getJson,
  startAnalyzer,
  startMemcached,
  startProcess,
  startWeb,
  stopAll,
  tempDir,
  waitFor,
} from '@confluence/testkit';

/**
 * Memcached restarts empty under a running analyzer that holds two hours of replayed market: everything it still
 * holds is written back — every time-travel minute the timeline lists opens, and the scoreboard, the alert history,
 * the charts' history and the details are there again. Real processes throughout.
 */
interface AnalyzerHealth {
  intake: { replay: { finished: boolean; error: string | null } | null };
  publish: { cacheLossesDetected: number };
  signals: { timeline: { minutes: number; pendingPublish: number } };
}

describe('memcached restart under a running analyzer', () => {
  let mc: Memcached;
  let analyzer: Service | undefined;
  let web: Service | undefined;
  let gen: Proc | undefined;

  afterAll(async () => {
    await stopAll(web, analyzer, gen && { proc: gen });
    await mc?.stop();
  });

  test('when memcached restarts empty, then every time-travel minute listed opens again and the other values are written back', async () => {
    const dir = tempDir('confluence-cache-restart-');
    const file = path.join(dir, 'sim.jsonl');
    gen = startProcess(
      'make-recording',
      [path.join(ROOT, 'services/simulator/dist/make-recording.js'), '--out', file, '--hours', '2', '--symbols', '3', '--seed', '5', '--quiet'],
      {},
    );
    const code = await gen.waitForExit(120_000);
    if (code !== 0) throw new Error(`make-recording exited ${code}: ${gen.output().slice(-2000)}`);
    mc = await startMemcached();
    const env = { MEMCACHED_SERVERS: mc.address, KEY_PREFIX: 'restart:', PUBLISH_INTERVAL_MS: '500' };
    analyzer = await startAnalyzer({ ...env, MARKET_SOURCE: 'replay', REPLAY_FILE: file, REPLAY_SPEED: 'max', DATA_DIR: path.join(dir, 'data') });
    web = await startWeb(env);
    const a = analyzer;
    const w = web;
    const health = async () => (await getJson<AnalyzerHealth>(`${a.url}/health`)).body;
    const timeline = async () => (await getJson<ApiEnvelope<TimelineData>>(`${w.url}/api/timeline`)).body.data?.minutes ?? [];
    const opens = async (minutes: number[]) => {
      const missing: number[] = [];
      for (const m of minutes) if ((await getJson(`${w.url}/api/timeline/${m}`)).status !== 200) missing.push(m);
      return missing;
    };
    try {
      // The replay is over and every recorded minute is published and listed.
      const recorded = await waitFor(
        async () => {
          const h = await health();
          if (h.intake.replay?.error) throw new Error(`replay failed: ${h.intake.replay.error}`);
          if (!h.intake.replay?.finished || h.signals.timeline.pendingPublish > 0) return null;
          const listed = await timeline();
          return listed.length === h.signals.timeline.minutes && listed.length > 60 ? listed : null;
        },
        { timeoutMs: 90_000, intervalMs: 200, what: 'every replayed minute published' },
      );
      expect(await opens(recorded)).toEqual([]);
      const symbol = (await getJson<{ data: { rows: Array<{ symbol: string }> } }>(`${w.url}/api/symbols`)).body.data.rows[0].symbol;

      await mc.stop();
      await mc.start();

      // The timeline is listed again in full; each minute it lists opens.
      const after = await waitFor(
        async () => {
          const listed = await timeline();
          return listed.length >= recorded.length ? listed : null;
        },
        { timeoutMs: 60_000, intervalMs: 200, what: 'the timeline listed again in full' },
      );
      expect(after).toEqual(recorded);
      const missing = await opens(after);
      expect({ missing: missing.length, of: after.length }).toEqual({ missing: 0, of: after.length });

      // The rest of what the analyzer holds is back too.
      const cal = await waitFor(async () => (await getJson<ApiEnvelope<CalibrationData>>(`${w.url}/api/calibration`)).body.data, { what: 'calibration back' });
      expect(cal.totalSamples).toBeGreaterThan(0);
      await waitFor(async () => (await getJson<ApiEnvelope<AlertsData>>(`${w.url}/api/alerts`)).body.data, { what: 'alerts back' });
      const history = await waitFor(
        async () => {
          const d = (await getJson<ApiEnvelope<HistoryData>>(`${w.url}/api/symbols/${symbol}/history`)).body.data;
          return d && d.points.length > 0 ? d : null;
        },
        { what: 'history back' },
      );
      expect(history.points.length).toBeGreaterThan(1);
      await waitFor(async () => (await getJson<ApiEnvelope<SymbolDetail>>(`${w.url}/api/symbols/${symbol}`)).body.data, { what: 'detail back' });
      expect((await health()).publish.cacheLossesDetected).toBeGreaterThanOrEqual(1);
    } catch (err) {
      throw new Error(`${(err as Error).message}\n${dumpOnFailure(analyzer, web)}`);
    }
  }, 240_000);
});
