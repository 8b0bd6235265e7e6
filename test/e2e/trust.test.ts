import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import type { Alert, AlertsData, ApiEnvelope, CalibrationData, SymbolRow, SymbolsData } from '@confluence/contracts';
import { type Browser, launchBrowser } from '../browser/browser';
import { type Memcached, startMemcached } from '@confluence/testkit';
import { type Proc, ROOT, startProcess } from '@confluence/testkit';
import { type Service, dumpOnFailure, getJson, postJson, simEnv, startAnalyzer, startSimulator, startWeb, stopAll } from '@confluence/testkit';
import { waitFor } from '@confluence/testkit';
import { type WebhookReceiver, startWebhookReceiver } from '../support/webhook';

/**
 * The trust features end to end, each service a separate process on real Memcached:
 *  a. a synthetic 5-hour recording (services/simulator/src/make-recording.ts) replayed at full speed fills the calibration
 *     scoreboard, which /api/calibration and the dashboard's Track record panel then show;
 *  b. a symbol driven across an alert band yields exactly one webhook alert (first delivery answered 500, the retry
 *     succeeds with the same Idempotency-Key), and nothing is sent while the data is stale or the book gapped.
 */

interface AnalyzerHealth {
  intake: { state: string; replay: { finished: boolean; messages: number; error: string | null } | null };
  signals: {
    calibration: { rows: number; samples: number; resolved: number };
    alerts: { fired: number; duplicates: number; blocked: Record<'stale' | 'confidence' | 'agreeing' | 'cooldown', number>; states: number };
    delivery: { enabled: boolean; queued: number; delivered: number; failed: number; retries: number };
  };
}

type Cell = CalibrationData['bands'][number]['byHorizon'][string];

const BANDS = ['≤30', '30–40', '40–60', '60–70', '≥70'];
const HORIZONS = ['15m', '1h', '4h'];

function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

const pct = (v: number | null | undefined, digits = 1): string => (v === null || v === undefined ? '—' : `${(v * 100).toFixed(digits)}%`);
const bp = (v: number | null | undefined): string => (v === null || v === undefined ? '—' : `${(v * 10_000).toFixed(0)}bp`);

/** Band × horizon: samples, skill over the base rate [block-bootstrap 95 %], mean / median forward return. */
function scoreboardTable(c: CalibrationData): string {
  const text = (x: Cell | undefined): string => {
    if (!x || x.samples === 0) return '—';
    const hit =
      x.hitRate === null
        ? 'hit —'
        : `hit ${pct(x.hitRate, 0)} base ${pct(x.baseRate, 0)} skill ${pct(x.skill, 1)} [${pct(x.skill95?.low, 1)}…${pct(x.skill95?.high, 1)}] ${x.verdict}`;
    return `n=${x.samples} ${hit} μ ${bp(x.meanReturn)} med ${bp(x.medianReturn)}`;
  };
  const rows = [['band', ...c.horizons], ...c.bands.map((b) => [b.band, ...c.horizons.map((h) => text(b.byHorizon[h]))])];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const fmt = (r: string[]) => r.map((v, i) => v.padEnd(widths[i])).join(' | ');
  return [
    fmt(rows[0]),
    widths.map((w) => '-'.repeat(w)).join('-+-'),
    ...rows.slice(1).map(fmt),
    `${c.resolvedSamples} of ${c.totalSamples} samples resolved (cells count non-overlapping ones); hit = the move had the label's sign; base = how often the symbols moved that way anyway; μ/med = raw forward return`,
  ].join('\n');
}

function checkCell(where: string, x: Cell): void {
  expect({ where, ok: x.samples >= x.directional && x.directional >= x.hits && x.hits >= 0 }).toEqual({ where, ok: true });
  if (x.directional === 0) {
    expect(x.hitRate).toBeNull();
    expect(x.skill).toBeNull();
    expect(x.verdict).toBe('no_direction');
  } else {
    expect(x.hitRate).toBeCloseTo(x.hits / x.directional, 10);
    expect(x.hitRate!).toBeGreaterThanOrEqual(0);
    expect(x.hitRate!).toBeLessThanOrEqual(1);
    expect(x.skill).toBeCloseTo(x.hitRate! - x.baseRate!, 10);
    // A verdict other than "too few" needs enough samples, and a flag needs an interval that excludes 0.
    if (x.verdict === 'too_few') expect(x.skill95).toBeNull();
    else expect(x.directional).toBeGreaterThanOrEqual(30);
    if (x.verdict === 'skill') expect(x.skill95!.low).toBeGreaterThan(0);
    if (x.verdict === 'anti') expect(x.skill95!.high).toBeLessThan(0);
  }
  if (x.samples > 0) {
    expect(Number.isFinite(x.meanReturn)).toBe(true);
    expect(Number.isFinite(x.medianReturn)).toBe(true);
  }
}

describe('trust features end to end', () => {
  let mc: Memcached;

  beforeAll(async () => {
    mc = await startMemcached();
  });

  afterAll(async () => {
    await mc?.stop();
  });

  describe('a. a replayed synthetic recording fills the scoreboard', () => {
    const HOURS = 5;
    const SYMBOLS = 6;
    let dir: string;
    let analyzer: Service | undefined;
    let web: Service | undefined;
    let browser: Browser | undefined;
    let gen: Proc | undefined;

    beforeAll(() => {
      dir = tempDir('confluence-trust-replay-');
    });

    afterAll(async () => {
      await browser?.close();
      await stopAll(web, analyzer, gen && { proc: gen });
      fs.rmSync(dir, { recursive: true, force: true });
    });

    test(`when a ${HOURS} h × ${SYMBOLS}-symbol recording is replayed at max speed, then /api/calibration and the Track record panel show resolved samples at every horizon`, async () => {
      // 1. The recording, from the compiled generator (a separate process, as a user would run it).
      const file = path.join(dir, 'sim.jsonl');
      const genStarted = Date.now();
      // The scoreboard counts one window per symbol per horizon, on the horizon's grid (00:00, 04:00 … UTC at 4 h): the
      // recording starts 5 min before midnight so the analyzer is warm at 00:00 and that 4 h window fits in 5 h.
      gen = startProcess(
        'make-recording',
        [
          path.join(ROOT, 'services/simulator/dist/make-recording.js'),
          '--out',
          file,
          '--hours',
          String(HOURS),
          '--symbols',
          String(SYMBOLS),
          '--seed',
          '42',
          '--start',
          '2025-01-05T23:55:00Z',
          '--quiet',
        ],
        {},
      );
      const code = await gen.waitForExit(150_000);
      if (code !== 0) throw new Error(`make-recording exited ${code}: ${gen.output().slice(-3000)}`);
      const recorded = gen.jsonLines().find((l) => l.event === 'recorded') as { lines: number; bytes: number; startedAt: number; endedAt: number } | undefined;
      expect(recorded).toBeDefined();
      expect(recorded!.endedAt - recorded!.startedAt).toBeGreaterThanOrEqual(HOURS * 3_600_000);
      const genMs = Date.now() - genStarted;

      try {
        // 2. The analyzer replays it as fast as it can; the web serves what it publishes.
        const replayStarted = Date.now();
        analyzer = await startAnalyzer({
          MARKET_SOURCE: 'replay',
          REPLAY_FILE: file,
          REPLAY_SPEED: 'max',
          DATA_DIR: path.join(dir, 'data'),
          MEMCACHED_SERVERS: mc.address,
          KEY_PREFIX: 'trust-replay:',
          PUBLISH_INTERVAL_MS: '500',
        });
        const health = async () => (await getJson<AnalyzerHealth>(`${analyzer!.url}/health`)).body;
        const finished = await waitFor(
          async () => {
            const h = await health();
            if (h.intake.replay?.error) throw new Error(`replay failed: ${h.intake.replay.error}`);
            return h.intake.replay?.finished ? h : null;
          },
          { timeoutMs: 90_000, intervalMs: 100, what: 'the replay to finish' },
        );
        const replayMs = Date.now() - replayStarted;
        expect(finished.intake.replay!.messages).toBeGreaterThan(0);

        web = await startWeb({ MEMCACHED_SERVERS: mc.address, KEY_PREFIX: 'trust-replay:', PUBLISH_INTERVAL_MS: '500' });
        // The scoreboard is republished at most every 5 s while it changes: wait until the web serves the final one.
        const cal = await waitFor(
          async () => {
            const [h, r] = await Promise.all([health(), getJson<ApiEnvelope<CalibrationData>>(`${web!.url}/api/calibration`)]);
            const d = r.body.data;
            return d && d.resolvedSamples === h.signals.calibration.resolved && d.totalSamples === h.signals.calibration.samples ? d : null;
          },
          { timeoutMs: 45_000, intervalMs: 250, what: 'the final scoreboard in /api/calibration' },
        );

        console.log(
          `replay: ${recorded!.lines} lines, ${(recorded!.bytes / 1e6).toFixed(1)} MB, ${HOURS} h × ${SYMBOLS} symbols generated in ${(genMs / 1000).toFixed(1)} s; ` +
            `replayed (${finished.intake.replay!.messages} frames) in ${(replayMs / 1000).toFixed(1)} s wall, analyzer start included\n${scoreboardTable(cal)}`,
        );

        // 3. The numbers: samples at every horizon, rates inside [0, 1], skill = hit − base, flags only with an interval.
        expect(cal.horizons).toEqual(HORIZONS);
        expect(cal.bands.map((b) => b.band)).toEqual(BANDS);
        expect(cal.totalSamples).toBeGreaterThan(0);
        expect(cal.resolvedSamples).toBeGreaterThan(0);
        expect(cal.resolvedSamples).toBeLessThanOrEqual(cal.totalSamples);
        for (const h of HORIZONS) {
          const cells = cal.bands.map((b) => b.byHorizon[h]);
          expect({ horizon: h, samples: cells.reduce((n, x) => n + x.samples, 0) > 0 }).toEqual({ horizon: h, samples: true });
          expect({ horizon: h, directional: cells.reduce((n, x) => n + x.directional, 0) > 0 }).toEqual({ horizon: h, directional: true });
          for (const b of cal.bands) checkCell(`${b.band} ${h}`, b.byHorizon[h]);
        }
        for (const c of cal.components) for (const b of c.bands) for (const h of HORIZONS) checkCell(`${c.component} ${b.band} ${h}`, b.byHorizon[h]);
        // The recording moves through regimes, so both sides are populated and forward returns differ by side.
        const side = (bands: string[], h: string) => {
          const cells = cal.bands.filter((b) => bands.includes(b.band)).map((b) => b.byHorizon[h]);
          const n = cells.reduce((s, x) => s + x.samples, 0);
          return { n, mean: n === 0 ? 0 : cells.reduce((s, x) => s + (x.meanReturn ?? 0) * x.samples, 0) / n };
        };
        const bear = side(['≤30', '30–40'], '15m');
        const bull = side(['60–70', '≥70'], '15m');
        expect(bear.n).toBeGreaterThan(0);
        expect(bull.n).toBeGreaterThan(0);
        expect(bull.mean).toBeGreaterThan(bear.mean);

        // 4. The dashboard: the Track record panel shows the same counts.
        browser = await launchBrowser();
        const page: Page = await browser.newPage();
        await page.goto(`${web.url}/`);
        await page.waitForFunction(() => document.querySelectorAll('table.track tbody tr').length === 5, undefined, { timeout: 20_000 });
        await page.waitForFunction((n) => (document.querySelector('.track-note')?.textContent ?? '').startsWith(`${n} resolved sample`), cal.resolvedSamples, {
          timeout: 10_000,
        });
        const shown = await page.$$eval('table.track tbody tr', (trs) =>
          trs.map((tr) => ({
            band: tr.querySelector('th')?.textContent ?? '',
            cells: [...tr.querySelectorAll('td')].map((td) => td.querySelector('.sub')?.textContent ?? td.textContent ?? ''),
          })),
        );
        expect(shown.map((r) => r.band)).toEqual(BANDS);
        for (const row of shown) {
          const band = cal.bands.find((b) => b.band === row.band)!;
          const expected = HORIZONS.map((h) => (band.byHorizon[h].samples > 0 ? `n=${band.byHorizon[h].samples}` : '—'));
          expect({ band: row.band, cells: row.cells }).toEqual({ band: row.band, cells: expected });
        }
        const nonZero = shown.flatMap((r) => r.cells).filter((c) => /^n=[1-9]/.test(c));
        expect(nonZero.length).toBeGreaterThan(0);
        expect(browser.problems).toEqual([]);
      } catch (err) {
        throw new Error(`${(err as Error).message}\n${dumpOnFailure(analyzer, web)}`);
      }
    }, 240_000);
  });

  describe('b. one alert when a symbol crosses a band', () => {
    const SYMBOLS = ['BTCUSDT', 'ETHUSDT', 'SOLUSDT', 'XRPUSDT', 'DOGEUSDT'];
    const RULE = 'trend-up';
    const ENTER = 60;
    const EXIT = 55;
    let dir: string;
    let sim: Awaited<ReturnType<typeof startSimulator>> | undefined;
    let analyzer: Service | undefined;
    let web: Service | undefined;
    let hook: WebhookReceiver | undefined;
    let target = '';
    /** The simulator's market is paused between the two tests (so the target's gap is armed before data flows again). */
    let paused = false;

    beforeAll(async () => {
      dir = tempDir('confluence-trust-alerts-');
      const rulesFile = path.join(dir, 'rules.json');
      // Thresholds a driven simulated symbol crosses within a minute; gates a strong trend passes; a cooldown that
      // outlasts the test, so a second alert could only come from a duplicate.
      fs.writeFileSync(
        rulesFile,
        JSON.stringify({
          rules: [{ name: RULE, enterAbove: ENTER, exitBelow: EXIT }],
          minConfidence: 0.5,
          minAgreeing: 3,
          cooldownMs: 24 * 3_600_000,
          maxDataAgeMs: 5_000,
        }),
      );
      hook = await startWebhookReceiver();
      sim = await startSimulator({ SIM_SEED: '7', SIM_SYMBOLS: String(SYMBOLS.length), SIM_REGIMES: SYMBOLS.map((s) => `${s}:range`).join(',') });
      analyzer = await startAnalyzer({
        ...simEnv(sim),
        MEMCACHED_SERVERS: mc.address,
        KEY_PREFIX: 'trust-alerts:',
        SYMBOLS: SYMBOLS.join(','),
        PUBLISH_INTERVAL_MS: '500',
        BYBIT_PING_INTERVAL_MS: '1000',
        BYBIT_PONG_TIMEOUT_MS: '2000',
        ALERT_WEBHOOK_URL: hook.url,
        ALERT_RULES_FILE: rulesFile,
        DATA_DIR: path.join(dir, 'data'),
      });
      web = await startWeb({ MEMCACHED_SERVERS: mc.address, KEY_PREFIX: 'trust-alerts:', PUBLISH_INTERVAL_MS: '500' });
    });

    afterAll(async () => {
      await stopAll(web, analyzer, sim);
      await hook?.close();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    const table = async () => (await getJson<ApiEnvelope<SymbolsData>>(`${web!.url}/api/symbols`)).body;
    const row = async (symbol: string): Promise<SymbolRow | undefined> => (await table()).data?.rows.find((r) => r.symbol === symbol);
    const health = async () => (await getJson<AnalyzerHealth>(`${analyzer!.url}/health`)).body;
    const alertsApi = async (): Promise<Alert[]> => (await getJson<ApiEnvelope<AlertsData>>(`${web!.url}/api/alerts`)).body.data?.alerts ?? [];
    const hooksFor = (symbol: string) => hook!.requests().filter((r) => (r.body as { symbol?: string }).symbol === symbol);
    const control = async (name: string, body: Record<string, unknown>) => {
      const r = await postJson(`${sim!.url}/sim/control/${name}`, body);
      expect({ control: name, status: r.status }).toEqual({ control: name, status: 200 });
    };
    /** Resolves after the analyzer published `n` more generations. */
    const cycles = async (n: number) => {
      const g0 = (await table()).generation ?? 0;
      await waitFor(async () => ((await table()).generation ?? 0) >= g0 + n * 500 || null, {
        timeoutMs: 15_000,
        intervalMs: 100,
        what: `${n} more publish cycles`,
      });
    };

    test('when the feed is stale, then nothing is sent', async () => {
      try {
        await waitFor(
          async () => {
            const t = await table();
            const r = t.data?.rows ?? [];
            return t.status.state === 'ok' && r.length === SYMBOLS.length && r.every((x) => x.score !== null && x.dataOk);
          },
          { timeoutMs: 60_000, what: 'every symbol scored on synced data' },
        );
        // Scores settle once the first minute of trades is in; a ranging symbol may cross on its own meanwhile
        // (its alert is fine, but it cannot be the target).
        await cycles(10);
        // The target: a symbol below the band's exit (so the hysteresis state is surely "outside") that has not
        // alerted (so no cooldown applies), so its entry will be a real crossing.
        const low = await waitFor(
          async () => {
            const alerted = new Set(hook!.requests().map((r) => (r.body as { symbol?: string }).symbol));
            const r = (await table()).data?.rows.filter((x) => x.score !== null && x.score < EXIT - 2 && x.dataOk && !alerted.has(x.symbol)) ?? [];
            return r.sort((a, b) => a.score! - b.score!)[0];
          },
          { timeoutMs: 30_000, what: `a symbol scoring below ${EXIT - 2} that has not alerted` },
        );
        target = low.symbol;
        hook!.failNext(1, (r) => (r.body as { symbol?: string }).symbol === target);

        // The exchange goes quiet: the rows age past maxDataAgeMs, every evaluation is blocked as stale.
        const blockedBefore = (await health()).signals.alerts.blocked.stale;
        await control('pause', { paused: true });
        paused = true;
        await waitFor(
          async () => {
            const t = await table();
            const r = t.data?.rows.find((x) => x.symbol === target);
            return r && t.status.now - r.updatedAt > 6_000;
          },
          { timeoutMs: 20_000, intervalMs: 200, what: `${target} to go stale` },
        );
        await cycles(3);
        expect((await health()).signals.alerts.blocked.stale).toBeGreaterThan(blockedBefore + 3);
        expect(hooksFor(target)).toEqual([]);
      } catch (err) {
        if (paused) await control('pause', { paused: false });
        paused = false;
        throw new Error(`${(err as Error).message}\n${dumpOnFailure(sim, analyzer, web)}`);
      }
    }, 150_000);

    test('when the symbol crosses the band while its book is gapped, then no alert; once the book is back, exactly one, retried once and delivered', async () => {
      try {
        expect(target).not.toBe('');
        // The book gaps and its resubscription is refused: the row keeps scoring from trades and candles but is not
        // dataOk. Both are armed while the market is still paused, so the first delta after the pause is the gap and
        // no fresh evaluation of the target happens in between.
        await control('reject', { pattern: `orderbook.50.${target}` });
        await control('gap', { symbol: target });
        if (paused) await control('pause', { paused: false });
        paused = false;
        await waitFor(async () => (await row(target))?.dataOk === false, { timeoutMs: 20_000, intervalMs: 100, what: `${target} book to be out of sync` });
        // Drive it up through the band.
        const drivenAt = Date.now();
        await control('regime', { symbol: target, regime: 'up', strength: 20 });
        // A 2 % jump (aggressive buying at one price) on top of the trend, so the crossing takes seconds, not minutes.
        const simState = (await getJson<{ symbols: Record<string, { lastPrice: string }> }>(`${sim!.url}/sim/state?symbol=${target}`)).body;
        await control('price', { symbol: target, price: Number(simState.symbols[target].lastPrice) * 1.02 });
        const crossed = await waitFor(
          async () => {
            const r = await row(target);
            return r && (r.dataOk || (r.score !== null && r.score >= ENTER + 3)) ? r : null;
          },
          { timeoutMs: 90_000, intervalMs: 250, what: `${target} to score ≥ ${ENTER + 3} while gapped` },
        );
        expect({ resyncedWhileRefused: crossed.dataOk }).toEqual({ resyncedWhileRefused: false });
        const crossedAt = Date.now();
        await cycles(3);
        const during = await row(target);
        expect({ dataOk: during?.dataOk, inBand: (during?.score ?? 0) >= ENTER }).toEqual({ dataOk: false, inBand: true });
        expect(hooksFor(target)).toEqual([]);
        expect((await alertsApi()).filter((a) => a.symbol === target)).toEqual([]);

        // The book comes back: the first fresh evaluation in the band fires, once.
        const liftedAt = Date.now();
        await control('reject', { pattern: null });
        await waitFor(async () => (await row(target))?.dataOk === true, { timeoutMs: 40_000, intervalMs: 100, what: `${target} book to resync` });
        const resyncedAt = Date.now();
        // The resynced book can pull the score back under the band for a while (a fresh book is noisy); the trend
        // is still on, so keep driving it until the first fresh evaluation is inside the band.
        let lastPush = Date.now();
        const [first, second] = await waitFor(
          async () => {
            if (hooksFor(target).length >= 2) return hooksFor(target);
            const r = await row(target);
            if (hooksFor(target).length === 0 && r && r.score !== null && r.score < ENTER && Date.now() - lastPush > 5_000) {
              lastPush = Date.now();
              const st = (await getJson<{ symbols: Record<string, { lastPrice: string }> }>(`${sim!.url}/sim/state?symbol=${target}`)).body;
              await control('price', { symbol: target, price: Number(st.symbols[target].lastPrice) * 1.01 });
            }
            return null;
          },
          { timeoutMs: 60_000, intervalMs: 100, what: `two deliveries of the ${target} alert` },
        );
        expect(first.at).toBeGreaterThanOrEqual(liftedAt);
        const body = (r: typeof first) => r.body as Alert;
        expect([first.status, second.status]).toEqual([500, 200]);
        expect(body(first).id).toBe(body(second).id);
        expect(first.headers['idempotency-key']).toBe(body(first).id);
        expect(second.headers['idempotency-key']).toBe(body(first).id);
        expect([body(first).attempts, body(second).attempts]).toEqual([1, 2]);
        expect(second.at - first.at).toBeGreaterThanOrEqual(800);
        expect(body(first)).toMatchObject({ symbol: target, rule: RULE, direction: 'Bullish' });
        expect(body(first).score).toBeGreaterThanOrEqual(ENTER);
        expect(body(first).at).toBeGreaterThanOrEqual(crossed.updatedAt);

        const delivered = await waitFor(
          async () => {
            const a = (await alertsApi()).filter((x) => x.symbol === target && x.rule === RULE);
            return a.length === 1 && a[0].delivery === 'delivered' ? a[0] : null;
          },
          { timeoutMs: 20_000, intervalMs: 200, what: 'the alert listed as delivered in /api/alerts' },
        );
        expect(delivered).toMatchObject({ id: body(first).id, delivery: 'delivered', attempts: 2 });

        // Still in the band, evaluated every cycle: nothing more is sent.
        await cycles(6);
        const h = await health();
        expect(h.signals.delivery.queued).toBe(0);
        expect(hooksFor(target)).toHaveLength(2);
        expect((await alertsApi()).filter((x) => x.symbol === target && x.rule === RULE)).toHaveLength(1);
        const others = hook!.requests().filter((r) => (r.body as { symbol?: string }).symbol !== target);
        console.log(
          `alert: ${target} crossed ${ENTER} while gapped ${((crossedAt - drivenAt) / 1000).toFixed(1)} s after the drive (score ${crossed.score}), ` +
            `book resynced ${((resyncedAt - liftedAt) / 1000).toFixed(1)} s after the refusal was lifted, first delivery ${((first.at - resyncedAt) / 1000).toFixed(1)} s later ` +
            `(HTTP 500), retry ${((second.at - first.at) / 1000).toFixed(1)} s after it (HTTP 200); id ${body(first).id}` +
            (others.length ? `; alerts of undriven symbols: ${others.map((r) => (r.body as Alert).id).join(', ')}` : ''),
        );
      } catch (err) {
        const state = await Promise.all([
          row(target).catch(() => null),
          health()
            .then((h) => h.signals)
            .catch(() => null),
        ]);
        throw new Error(
          `${(err as Error).message}\ntarget row: ${JSON.stringify(state[0])}\nsignals: ${JSON.stringify(state[1])}\nwebhook: ${JSON.stringify(hook?.requests().map((r) => ({ status: r.status, body: r.body })))}\n${dumpOnFailure(sim, analyzer, web)}`,
        );
      }
    }, 150_000);
  });
});
