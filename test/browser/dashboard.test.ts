import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { type Cache, createCache } from '@confluence/cache';
import { type AlertsData, type ApiEnvelope, type SnapshotData, type SymbolsData, SUB_SIGNAL_FORMULAS, createKeys } from '@confluence/contracts';
import { type Memcached, startMemcached } from '@confluence/testkit';
import { ROOT } from '@confluence/testkit';
import { type Service, dumpOnFailure, getJson, simEnv, startAnalyzer, startSimulator, startWeb, stopAll } from '@confluence/testkit';
import { waitFor } from '@confluence/testkit';
import { type Browser, bannerText, launchBrowser, readTable } from './browser';
import { FixturePublisher, MarketFixture, publishExtras, publishGeneration } from './market-fixture';

/**
 * The dashboard in a real headless Chromium, served by the real web process reading a real Memcached.
 * The first suite publishes contract envelopes itself (deterministic rows, free text with HTML in it, 500 rows);
 * the second runs the real analyzer against the simulator and stops it, then Memcached.
 */

const PUBLISH_MS = 500;
const INJECTION = '<script>alert(1)</script><img src=x onerror=alert(2)> moved';

async function sortBy(page: Page, key: string, order: 'ascending' | 'descending'): Promise<void> {
  for (let i = 0; i < 2; i++) {
    if ((await page.getAttribute(`#symbols-head [data-key="${key}"]`, 'aria-sort')) === order) return;
    await page.click(`#symbols-head [data-key="${key}"] .sort-btn`);
  }
  expect(await page.getAttribute(`#symbols-head [data-key="${key}"]`, 'aria-sort')).toBe(order);
}

describe('dashboard with published fixtures', () => {
  const keys = createKeys();
  let mc: Memcached;
  let web: Service;
  let cache: Cache;
  let browser: Browser;
  let page: Page;
  let fx: MarketFixture;

  /** Stops publishing and waits until the page shows the generation the API serves (the same score per symbol). */
  async function settle(): Promise<void> {
    stopPublisher();
    await waitFor(() => !publisher.busy(), { what: 'the last publish to finish' });
    await publishNow();
    const published = (await getJson<ApiEnvelope<SymbolsData>>(`${web.url}/api/symbols`)).body.data!.rows;
    await waitFor(
      async () => {
        const shown = new Map((await readTable(page)).map((r) => [r.symbol, r.score]));
        return published.every((r) => shown.get(r.symbol) === (r.score === null ? (r.dataOk ? '—' : 'held') : r.score.toFixed(1)));
      },
      { what: 'the page to show the last generation' },
    );
  }

  const publishNow = () => publishGeneration(cache, keys, fx, { details: fx.symbols.length <= 50, publishIntervalMs: PUBLISH_MS });
  const publisher = new FixturePublisher(() => fx.step(), publishNow, PUBLISH_MS);
  const startPublisher = (): void => publisher.start();
  const stopPublisher = (): void => publisher.stop();

  beforeAll(async () => {
    mc = await startMemcached();
    web = await startWeb({ MEMCACHED_SERVERS: mc.address, PUBLISH_INTERVAL_MS: String(PUBLISH_MS) });
    cache = createCache({ servers: [mc.address], timeoutMs: 1000 });
    fx = new MarketFixture(15, 42);
    fx.setText('SOLUSDT', INJECTION);
    fx.setDataOk('DOGEUSDT', false);
    await publishNow();
    await publishExtras(cache, keys, fx);
    startPublisher();
    await waitFor(async () => (await getJson<{ status: { state: string } }>(`${web.url}/api/status`)).body.status.state === 'ok', { what: 'web status ok' });
    browser = await launchBrowser();
    page = await browser.newPage();
    await page.goto(`${web.url}/`);
  });

  afterAll(async () => {
    stopPublisher();
    await browser?.close();
    cache?.close();
    await stopAll(web);
    await mc?.stop();
  });

  test('when the analyzer has published, then the table lists every symbol, and resyncing rows are marked', async () => {
    await page.waitForFunction((n) => document.querySelectorAll('#symbols-body .row').length === n, fx.symbols.length);
    const rows = await readTable(page);
    expect(rows.map((r) => r.symbol).sort()).toEqual([...fx.symbols].sort());
    const doge = rows.find((r) => r.symbol === 'DOGEUSDT')!;
    expect(doge.classes).toContain('resyncing');
    expect(doge.direction).toBe('Resyncing');
    expect(doge.score).toBe('held');
    // Every direction is a word and an icon, never colour alone.
    for (const r of rows.filter((x) => x.symbol !== 'DOGEUSDT')) expect(['Bullish', 'Bearish', 'Neutral']).toContain(r.direction);
    expect(await page.isVisible('#sim-badge')).toBe(true);
    expect(await page.getAttribute('#conn', 'data-state')).toBe('connected');
    expect(await bannerText(page)).toBe('');
    // Overview: breadth counts match the table and the mover lists are filled.
    const bullish = rows.filter((r) => r.direction === 'Bullish').length;
    expect(await page.textContent('.breadth .kv-row.bull dd')).toBe(String(bullish));
    expect(await page.$$eval('[data-list="strongest"] li', (li) => li.length)).toBe(5);
  });

  test('when a score changes in Memcached, then the row shows it without a reload, highlighted when it crosses 60', async () => {
    await page.evaluate(() => ((window as unknown as { __sameDocument: boolean }).__sameDocument = true));
    const rows = await readTable(page);
    const target = rows.find((r) => r.symbol !== 'DOGEUSDT' && r.symbol !== 'SOLUSDT' && Number(r.score) < 58)!;
    expect(target).toBeDefined();
    const started = Date.now();
    fx.setScore(target.symbol, 83.3);
    // A deadline for the condition, not a speed requirement: the time is logged below.
    await page.waitForFunction((s) => document.querySelector(`#symbols-body .row[data-symbol="${s}"] .score-num`)?.textContent === '83.3', target.symbol, {
      timeout: 15_000,
    });
    const elapsed = Date.now() - started;
    console.log(`score change visible in the page after ${elapsed} ms (publish every ${PUBLISH_MS} ms)`);
    expect(await page.textContent(`#symbols-body .row[data-symbol="${target.symbol}"] .dir-word`)).toBe('Bullish');
    expect(await page.getAttribute(`#symbols-body .row[data-symbol="${target.symbol}"]`, 'data-crossed')).toBe('bull');
    expect(await page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument)).toBe(true);
  });

  test('when a column header is clicked, then the table sorts by it and says so with aria-sort', async () => {
    // Held still: with the pointer on the header the order is frozen, and scores moving under it would be out of order.
    await settle();
    try {
      await sortOnClick();
    } finally {
      startPublisher();
    }
  });

  async function sortOnClick(): Promise<void> {
    await sortBy(page, 'symbol', 'ascending');
    let rows = await readTable(page);
    expect(rows.map((r) => r.symbol)).toEqual([...fx.symbols].sort());
    await sortBy(page, 'symbol', 'descending');
    rows = await readTable(page);
    expect(rows.map((r) => r.symbol)).toEqual([...fx.symbols].sort().reverse());
    expect(await page.getAttribute('#symbols-head [data-key="score"]', 'aria-sort')).toBeNull();

    await sortBy(page, 'score', 'descending');
    rows = await readTable(page);
    const scores = rows.map((r) => (r.score === '—' || r.score === 'held' ? null : Number(r.score)));
    const present = scores.filter((s): s is number => s !== null);
    expect(present).toEqual([...present].sort((a, b) => b - a));
    // Rows without a score sort last.
    expect(scores.slice(present.length).every((s) => s === null)).toBe(true);

    await sortBy(page, 'symbol', 'ascending');
  }

  test('when any column is sorted, then the table shows the order /api/symbols?sort= answers for the same rows', async () => {
    await settle();
    try {
      const api = async (q: string) => (await getJson<ApiEnvelope<SymbolsData>>(`${web.url}/api/symbols${q}`)).body.data!.rows;
      const keys = await page.$$eval('#symbols-head [data-key]', (ths) => ths.map((th) => (th as HTMLElement).dataset.key as string));
      expect(keys.length).toBeGreaterThan(15);
      for (const key of keys) {
        for (const [order, aria] of [
          ['desc', 'descending'],
          ['asc', 'ascending'],
        ] as const) {
          await sortBy(page, key, aria);
          const shown = (await readTable(page)).map((r) => r.symbol);
          expect({ key, order, shown }).toEqual({ key, order, shown: (await api(`?sort=${key}&order=${order}`)).map((r) => r.symbol) });
        }
      }
    } finally {
      await sortBy(page, 'symbol', 'ascending');
      startPublisher();
    }
  });

  test('when filtering by direction or text, then only matching rows remain', async () => {
    await page.click('#direction-filter button[data-direction="Bearish"]');
    expect(await page.getAttribute('#direction-filter button[data-direction="Bearish"]', 'aria-pressed')).toBe('true');
    let rows = await readTable(page);
    expect(rows.every((r) => r.direction === 'Bearish')).toBe(true);
    const api = await getJson<ApiEnvelope<SymbolsData>>(`${web.url}/api/symbols`);
    const bearish = api.body.data!.rows.filter((r) => r.direction === 'Bearish').length;
    expect(Math.abs(rows.length - bearish)).toBeLessThanOrEqual(1); // one generation may separate the two reads

    await page.click('#direction-filter button[data-direction="all"]');
    await page.fill('#symbol-search', 'eth');
    rows = await readTable(page);
    expect(rows.map((r) => r.symbol)).toEqual(['ETHUSDT']);
    await page.fill('#symbol-search', 'zzzz');
    expect(await readTable(page)).toHaveLength(0);
    expect(await page.textContent('#table-empty')).toContain('No symbol matches');
    await page.fill('#symbol-search', '');
    expect(await readTable(page)).toHaveLength(fx.symbols.length);
  });

  test('when a row is focused, then arrow keys move, Enter opens the detail and Escape closes it', async () => {
    const rows = await readTable(page);
    await page.focus(`#symbols-body .row[data-symbol="${rows[0].symbol}"]`);
    await page.keyboard.press('ArrowDown');
    expect(await page.evaluate(() => (document.activeElement as HTMLElement).dataset.symbol)).toBe(rows[1].symbol);
    await page.keyboard.press('Enter');
    await page.waitForSelector('dialog#detail[open]');
    expect(await page.textContent('#detail-title')).toBe(rows[1].symbol);
    expect(new URL(page.url()).hash).toBe(`#/symbol/${rows[1].symbol}`);
    await page.keyboard.press('Escape');
    await page.waitForSelector('dialog#detail:not([open])', { state: 'attached' });
    expect(new URL(page.url()).hash).toBe('');
    // Focus returns to the row that opened the detail.
    expect(await page.evaluate(() => (document.activeElement as HTMLElement).dataset.symbol)).toBe(rows[1].symbol);
  });

  test('when a row is clicked, then the detail shows components, sub-signals and a chart, and Back closes it', async () => {
    await page.click('#symbols-body .row[data-symbol="ETHUSDT"] .c-price');
    await page.waitForSelector('dialog#detail[open]');
    expect(new URL(page.url()).hash).toBe('#/symbol/ETHUSDT');
    await page.waitForSelector('#detail-chart canvas');
    await page.waitForFunction(() => document.querySelectorAll('#detail .comp').length === 6);
    expect(await page.$$eval('#detail .comp[data-component="technical"] tr.tf-row', (r) => r.map((x) => x.textContent))).toEqual(['1m', '5m', '30m', '4h']);
    // Sub-signals read in words; the identifier stays in the tooltip.
    const firstSub = await page.$eval('#detail .comp[data-component="technical"] tbody tr:not(.tf-row) th', (th) => [th.textContent, th.getAttribute('title')]);
    expect(firstSub).toEqual(['RSI(14)', 'rsi']);
    // A sub-signal sent without label and formula reads in the catalogue's words, with its formula as the note.
    const macd = await page.$eval('#detail .comp[data-component="technical"] tbody tr:not(.tf-row):nth-child(3)', (tr) => [
      tr.querySelector('th')?.textContent,
      tr.querySelector('th')?.getAttribute('title'),
      tr.querySelector('td.note')?.textContent,
    ]);
    expect(macd).toEqual(['MACD', 'macd', SUB_SIGNAL_FORMULAS.macd]);
    expect(await page.textContent('#detail .band-record')).toContain('57% hit rate');
    expect(await page.textContent('#detail .chart-note')).toContain('60 points');
    await page.goBack();
    await page.waitForSelector('dialog#detail:not([open])', { state: 'attached' });
    expect(new URL(page.url()).hash).toBe('');
  });

  test('when contracts settle funding every 1 h or 4 h, then the table shows funding per 8 h and says the printed rate, interval and next funding time', async () => {
    const pct = (x: number) => `${x > 0 ? '+' : x < 0 ? '−' : ''}${Math.abs(x * 100).toFixed(4)}%`;
    expect(await page.textContent('#symbols-head [data-key="fundingRate"]')).toContain('Funding /8h');
    // SOLUSDT settles every hour: 0.01 % printed is 0.08 % per 8 h.
    const sol = fx.fundingOf('SOLUSDT');
    expect(sol.funding.intervalMinutes).toBe(60);
    const cell = '#symbols-body .row[data-symbol="SOLUSDT"] .c-fund';
    await page.waitForFunction(([sel, text]) => document.querySelector(sel)?.textContent === text, [cell, pct(sol.funding.rate8h)] as const);
    expect(sol.funding.rate8h).toBeCloseTo(sol.fundingRate * 8, 12);
    const title = (await page.getAttribute(cell, 'title')) ?? '';
    expect(title).toContain(`${pct(sol.fundingRate)} per 1 h = ${pct(sol.funding.rate8h)} per 8 h`);
    expect(title).toMatch(/next funding \d\d:\d\d/);
    // BTCUSDT settles every 8 h: the two numbers are the same.
    const btc = fx.fundingOf('BTCUSDT');
    expect(await page.textContent('#symbols-body .row[data-symbol="BTCUSDT"] .c-fund')).toBe(pct(btc.fundingRate));
    // The detail gives the same line.
    await page.click('#symbols-body .row[data-symbol="SOLUSDT"] .c-price');
    await page.waitForSelector('dialog#detail[open]');
    await page.waitForFunction(() => (document.querySelector('#detail .funding-detail')?.textContent ?? '').includes('per 1 h'));
    expect(await page.textContent('#detail .funding-detail')).toContain(`per 1 h = ${pct(sol.funding.rate8h)} per 8 h`);
    await page.goBack();
    await page.waitForSelector('dialog#detail:not([open])', { state: 'attached' });
  });

  test('when the page is opened on a deep link, then the detail is open with its chart', async () => {
    const deep = await browser.context.newPage();
    try {
      await deep.goto(`${web.url}/#/symbol/BTCUSDT`);
      await deep.waitForSelector('dialog#detail[open]');
      expect(await deep.textContent('#detail-title')).toBe('BTCUSDT');
      await deep.waitForSelector('#detail-chart canvas');
      await deep.keyboard.press('Escape');
      await deep.waitForSelector('dialog#detail:not([open])', { state: 'attached' });
      expect(new URL(deep.url()).hash).toBe('');
    } finally {
      await deep.close();
    }
  });

  test('when free text holds HTML, then it is shown as literal text and nothing runs', async () => {
    const row = '#symbols-body .row[data-symbol="SOLUSDT"]';
    expect(await page.$$('#symbols-body img, #symbols-body script')).toHaveLength(0);
    await page.click(`${row} .c-price`);
    await page.waitForSelector('dialog#detail[open]');
    await page.waitForFunction((t) => document.querySelector('#detail .rationale')?.textContent === t, INJECTION);
    // The move's explanation is text in the detail (reachable by keyboard and touch), not a tooltip.
    expect(await page.textContent('#detail .move-sum')).toBe(` ${INJECTION}`);
    expect(await page.$$('#detail img, #detail script')).toHaveLength(0);
    expect(await page.$$eval('script', (s) => s.length)).toBe(1);
    await page.keyboard.press('Escape');
    await page.waitForSelector('dialog#detail:not([open])', { state: 'attached' });
    expect(browser.problems.filter((p) => p.startsWith('dialog'))).toEqual([]);
  });

  test('when a recorded minute is chosen, then the table shows that minute with a "not live" banner until Back to live', async () => {
    const minutes = await page.$$eval('#tt-select option', (o) => o.map((x) => (x as HTMLOptionElement).value).filter(Boolean));
    expect(minutes.length).toBe(3);
    const minute = minutes[1];
    const snap = await getJson<ApiEnvelope<SnapshotData>>(`${web.url}/api/timeline/${minute}`);
    await page.selectOption('#tt-select', minute);
    await page.waitForFunction(() => /Viewing \d\d:\d\d — not live/.test(document.querySelector('#tt-banner')?.textContent ?? ''));
    const eth = snap.body.data!.rows.find((r) => r.symbol === 'ETHUSDT')!;
    expect(await page.textContent('#symbols-body .row[data-symbol="ETHUSDT"] .score-num')).toBe(eth.score!.toFixed(1));
    // Live generations keep arriving but do not replace the past table.
    const frozen = await readTable(page);
    await page.waitForTimeout(PUBLISH_MS * 3);
    expect((await readTable(page)).map((r) => r.score)).toEqual(frozen.map((r) => r.score));
    await page.click('#tt-back');
    expect(await page.isHidden('#tt-banner')).toBe(true);
    await page.waitForFunction(([s, old]) => document.querySelector(`#symbols-body .row[data-symbol="${s}"] .score-num`)?.textContent !== old, [
      'ETHUSDT',
      eth.score!.toFixed(1),
    ] as const);
  });

  test('when alerts and calibration exist, then the Alerts and Track record panels show them', async () => {
    const alerts = await getJson<ApiEnvelope<AlertsData>>(`${web.url}/api/alerts`);
    const count = alerts.body.data!.alerts.length;
    expect(count).toBeGreaterThan(0);
    await page.waitForFunction((n) => document.querySelectorAll('#alerts-body li.alert').length === n, count);
    expect(await page.textContent('#alerts-body li.alert .alert-msg')).toMatch(/entered the (Bullish|Bearish) band/);
    // Webhook state in words, newest alert first ("disabled" beside an alert read as if the alert were off).
    const words = { delivered: 'sent', disabled: 'no webhook', pending: 'sending…', failed: 'not sent (failed)' } as const;
    const expected = [...alerts.body.data!.alerts].sort((a, b) => b.at - a.at).map((a) => words[a.delivery]);
    expect(expected).toContain('sent');
    expect(await page.$$eval('#alerts-body li.alert .alert-delivery', (els) => els.map((e) => e.textContent))).toEqual(expected);
    expect(await page.$$eval('table.track tbody tr', (r) => r.length)).toBe(5);
    await page.selectOption('#track-scope', 'orderflow');
    expect(await page.$$eval('table.track thead th', (r) => r.map((x) => x.textContent))).toEqual(['Band', '15m', '1h', '4h']);
    // Top band: skill over the base rate at 15m (green), a range including 0 at 1h, too few samples at 4h — said plainly.
    const top = 'table.track tbody tr:last-child';
    expect(await page.textContent(`${top} td:nth-of-type(1) .hit`)).toMatch(/^\+\d+\.\d pp$/);
    expect(await page.getAttribute(`${top} td:nth-of-type(1)`, 'class')).toContain('good');
    expect(await page.textContent(`${top} td:nth-of-type(1) .rates`)).toMatch(/^hit \d+% · base 52%$/);
    expect(await page.textContent(`${top} td:nth-of-type(1) .n`)).toMatch(/^n=\d+$/);
    expect(await page.getAttribute(`${top} td:nth-of-type(2)`, 'class')).not.toContain('good');
    expect(await page.textContent(`${top} td:nth-of-type(3) .hit`)).toBe('too few');
    expect(await page.textContent('.track-note')).toContain('too few');
  });

  test('when the viewport is a phone, then the page does not overflow sideways and the symbol column stays pinned', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    try {
      expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
      expect(await page.$eval('#symbols-body .c-sym', (el) => getComputedStyle(el).position)).toBe('sticky');
      expect(await page.$eval('.table-wrap', (el) => el.scrollWidth > el.clientWidth)).toBe(true);
    } finally {
      await page.setViewportSize({ width: 1440, height: 900 });
    }
  });

  test('when every symbol is down over 24 h, then the gainers list says so instead of "nothing found"', async () => {
    fx.setChangeSign(-1);
    try {
      await page.waitForFunction(() => document.querySelector('[data-list="gainers"] .empty')?.textContent === 'No symbol is up over 24 h', undefined, {
        timeout: 5000,
      });
      expect(await page.$$('[data-list="gainers"] li')).toHaveLength(0);
      expect(await page.$$eval('[data-list="losers"] li', (l) => l.length)).toBe(5);
    } finally {
      fx.setChangeSign(null);
    }
  });

  test('when the analyzer stops and then Memcached stops, then the banner says so and the last data stays', async () => {
    const before = (await readTable(page)).map((r) => r.symbol).sort();
    stopPublisher();
    await page.waitForFunction(
      () => /Analyzer stale — showing data from \d+ s ago/.test(document.querySelector('#status-banner')?.textContent ?? ''),
      undefined,
      { timeout: 10_000 },
    );
    expect(await page.getAttribute('#status-banner', 'data-level')).toBe('warn');
    // The age ticks client-side between status events.
    const age = async () => Number(/from (\d+) s ago/.exec(await bannerText(page))?.[1]);
    const a1 = await age();
    await page.waitForFunction((a) => Number(/from (\d+) s ago/.exec(document.querySelector('#status-banner')?.textContent ?? '')?.[1]) > a, a1, {
      timeout: 3000,
    });

    await mc.stop();
    await page.waitForFunction(
      () => /Cache unreachable — showing last known data from \d+ s ago/.test(document.querySelector('#status-banner')?.textContent ?? ''),
      undefined,
      { timeout: 15_000 },
    );
    expect(await page.getAttribute('#status-banner', 'data-level')).toBe('error');
    expect((await readTable(page)).map((r) => r.symbol).sort()).toEqual(before);
    expect(await page.getAttribute('#conn', 'data-state')).toBe('connected');

    // Memcached back (empty) and the analyzer publishing again: the banner goes away.
    await mc.start();
    startPublisher();
    await page.waitForFunction(() => (document.querySelector('#status-banner') as HTMLElement).hidden, undefined, { timeout: 15_000 });
    expect((await readTable(page)).map((r) => r.symbol).sort()).toEqual(before);
  });

  test('when the web server restarts, then the link shows reconnecting, then offline, then connected again with live data', async () => {
    const before = browser.problems.length;
    const port = web.port;
    await web.proc.stop('SIGTERM', 5000);
    await page.waitForFunction(() => document.querySelector('#conn')?.getAttribute('data-state') === 'reconnecting', undefined, { timeout: 10_000 });
    await page.waitForFunction(() => document.querySelector('#conn')?.getAttribute('data-state') === 'offline', undefined, { timeout: 15_000 });
    expect(await page.textContent('#conn .conn-text')).toBe('Offline');
    web = await startWeb({ MEMCACHED_SERVERS: mc.address, PUBLISH_INTERVAL_MS: String(PUBLISH_MS), WEB_PORT: String(port) });
    await page.waitForFunction(() => document.querySelector('#conn')?.getAttribute('data-state') === 'connected', undefined, { timeout: 30_000 });
    const rendered = await page.evaluate(
      () => (window as unknown as { confluenceDashboard: { stats(): { renders: number } } }).confluenceDashboard.stats().renders,
    );
    await page.waitForFunction(
      (n) => (window as unknown as { confluenceDashboard: { stats(): { renders: number } } }).confluenceDashboard.stats().renders > n,
      rendered,
      { timeout: 10_000 },
    );
    // While the server was down the browser could only report refused connections.
    expect(browser.problems.slice(before).filter((p) => !/ERR_CONNECTION_REFUSED/.test(p))).toEqual([]);
    browser.problems.splice(before);
  });

  test('when the table has 500 rows, then it renders them and keeps updating (render times logged)', async () => {
    stopPublisher();
    fx = new MarketFixture(500, 7);
    await publishNow();
    startPublisher();
    await page.waitForFunction(() => document.querySelectorAll('#symbols-body .row').length === 500, undefined, { timeout: 15_000 });
    const first = await page.evaluate(() => (window as unknown as { confluenceDashboard: { stats(): { renders: number } } }).confluenceDashboard.stats());
    await page.waitForFunction(
      (n) => (window as unknown as { confluenceDashboard: { stats(): { renders: number } } }).confluenceDashboard.stats().renders >= n + 5,
      first.renders,
      { timeout: 15_000 },
    );
    const stats = await page.evaluate(() => (window as unknown as { confluenceDashboard: { stats(): Record<string, number> } }).confluenceDashboard.stats());
    // A full re-sort of 500 rows, timed in the page.
    const resortMs = await page.evaluate(() => {
      const t0 = performance.now();
      (document.querySelector('#symbols-head [data-key="change24h"] .sort-btn') as HTMLButtonElement).click();
      return performance.now() - t0;
    });
    console.log(
      `500 rows: last generation render ${stats.lastRenderMs.toFixed(1)} ms, slowest render ${stats.maxRenderMs.toFixed(1)} ms (includes the first build), ` +
        `re-sort ${resortMs.toFixed(1)} ms, ${stats.renders} renders`,
    );
    expect(stats.rows).toBe(500);
    expect(await page.$$eval('#symbols-body .row', (r) => r.length)).toBe(500);
  });

  test('when the whole walk is over, then the page logged no console errors and raised no dialogs', () => {
    expect(browser.problems).toEqual([]);
  });
});

describe('dashboard against the real analyzer', () => {
  const SYMBOLS = 15;
  let mc: Memcached;
  let sim: Awaited<ReturnType<typeof startSimulator>>;
  let web: Service;
  let analyzer: Service | undefined;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    mc = await startMemcached();
    sim = await startSimulator({ SIM_SEED: '11' });
    web = await startWeb({ MEMCACHED_SERVERS: mc.address, PUBLISH_INTERVAL_MS: '500' });
    browser = await launchBrowser();
    page = await browser.newPage();
  });

  afterAll(async () => {
    await browser?.close();
    await stopAll(analyzer, web, sim);
    await mc?.stop();
  });

  test('when the analyzer starts, loses Bybit, stops, and Memcached stops, then the page says each in plain words and keeps the last data', async () => {
    try {
      // Nothing published yet: every empty panel gives the real reason, never "nothing found".
      await page.goto(`${web.url}/`);
      await page.waitForFunction(() => document.querySelector('#status-banner')?.textContent === "Waiting for the analyzer's first publish");
      expect(await page.textContent('#table-empty')).toBe("Waiting for the analyzer's first publish");
      expect(await page.$$eval('.movers-card .empty', (e) => e.map((x) => x.textContent))).toEqual(Array(7).fill("Waiting for the analyzer's first publish"));

      analyzer = await startAnalyzer({
        ...simEnv(sim),
        MEMCACHED_SERVERS: mc.address,
        TOP_SYMBOLS: String(SYMBOLS),
        PUBLISH_INTERVAL_MS: '500',
        HISTORY_INTERVAL_MS: '1000',
      });
      const published = await waitFor(
        async () => {
          const r = await getJson<ApiEnvelope<SymbolsData>>(`${web.url}/api/symbols`);
          return r.status === 200 && r.body.status.state === 'ok' && r.body.data!.rows.length === SYMBOLS
            ? r.body.data!.rows.map((x) => x.symbol).sort()
            : null;
        },
        { timeoutMs: 60_000, what: `the analyzer to publish ${SYMBOLS} rows` },
      );
      await page.waitForFunction((n) => document.querySelectorAll('#symbols-body .row').length === n, published.length, { timeout: 10_000 });
      expect((await readTable(page)).map((r) => r.symbol).sort()).toEqual(published);
      await page.waitForFunction(() => (document.querySelector('#status-banner') as HTMLElement).hidden, undefined, { timeout: 10_000 });

      if (process.env.SAVE_SCREENSHOT === '1') {
        // The picture for the README: real analyzer output, once every row is scored.
        await page.waitForFunction(
          (n) => [...document.querySelectorAll('#symbols-body .score-num')].filter((w) => /^\d/.test(w.textContent ?? '')).length >= n,
          SYMBOLS,
          { timeout: 30_000 },
        );
        const shot = async (name: string, width: number, height: number): Promise<void> => {
          await page.setViewportSize({ width, height });
          await page.mouse.move(1, 1);
          const out = path.join(ROOT, 'docs', name);
          fs.mkdirSync(path.dirname(out), { recursive: true });
          await page.screenshot({ path: out });
          expect(fs.statSync(out).size).toBeGreaterThan(10_000);
        };
        await shot('dashboard.png', 1440, 900);
        await shot('dashboard-phone.png', 390, 844);
        await page.setViewportSize({ width: 1440, height: 900 });
        await page.click('#symbols-body .row[data-symbol="1000PEPEUSDT"] .c-price');
        await page.waitForSelector('#detail-chart canvas');
        await page.waitForFunction(() => document.querySelectorAll('#detail .comp').length === 6, undefined, { timeout: 10_000 });
        await shot('detail.png', 1440, 900);
        await shot('detail-phone.png', 390, 844);
        await page.setViewportSize({ width: 1440, height: 900 });
        await page.keyboard.press('Escape');
        await page.waitForSelector('dialog#detail:not([open])', { state: 'attached' });
      }

      // The analyzer publishes each instrument's tick size, how long each label has held, and (once its history
      // reaches that far back) the score change over 15 min and 1 h: null here, minutes after the start.
      const api = await getJson<ApiEnvelope<SymbolsData>>(`${web.url}/api/symbols`);
      const apiRows = Object.fromEntries(api.body.data!.rows.map((r) => [r.symbol, r]));
      expect(apiRows['1000PEPEUSDT'].tickSize).toBe(0.0000001);
      expect(apiRows.BTCUSDT.tickSize).toBe(0.1);
      for (const r of api.body.data!.rows) {
        expect(r.scoreChange15m).toBeNull();
        expect(r.scoreChange1h).toBeNull();
        if (r.direction !== null) expect(r.directionSince).toBeGreaterThan(Date.now() - 120_000);
      }
      // Score movers rank the 15-minute change; minutes after the start it is not known yet, and the card says so.
      await page.waitForFunction(
        () => document.querySelector('[data-list="scoreMovers"] .empty')?.textContent === 'Not known yet — the score history is younger than 15 minutes',
        undefined,
        { timeout: 10_000 },
      );
      // Prices at each instrument's tick size, straight from the exchange's instruments-info (the simulator's).
      const prices = Object.fromEntries((await readTable(page)).map((r) => [r.symbol, r.price]));
      expect(prices['1000PEPEUSDT']).toMatch(/^0\.\d{7}$/);
      expect(prices.BTCUSDT).toMatch(/^\d{2,3},\d{3}\.\d$/);
      await page.click('#symbols-body .row[data-symbol="1000PEPEUSDT"] .c-price');
      await page.waitForFunction(() => /^0\.\d{7}$/.test(document.querySelector('#detail .book .kv-row.bull dd')?.textContent ?? ''), undefined, {
        timeout: 10_000,
      });
      const [bid, ask] = await page.$$eval('#detail .book .kv-row dd', (d) => [d[0].textContent, d[1].textContent]);
      expect(bid).not.toBe(ask);
      await page.keyboard.press('Escape');
      await page.waitForSelector('dialog#detail:not([open])', { state: 'attached' });

      await page.click(`#symbols-body .row[data-symbol="${published[0]}"] .c-price`);
      await page.waitForSelector('#detail-chart canvas');
      await page.waitForFunction(() => document.querySelectorAll('#detail .comp').length === 6, undefined, { timeout: 10_000 });
      expect(await page.textContent('#detail .rationale')).not.toBe('');
      await page.keyboard.press('Escape');
      await page.waitForSelector('dialog#detail:not([open])', { state: 'attached' });

      // The exchange (here the simulator) goes away: the analyzer keeps publishing, flagged feed down.
      await sim.proc.stop('SIGTERM', 5000);
      await page.waitForFunction(() => /Bybit unreachable — retrying/.test(document.querySelector('#status-banner')?.textContent ?? ''), undefined, {
        timeout: 30_000,
      });
      // Not a green "Live" while the exchange is gone, and the table looks stale.
      expect(await page.textContent('#data-pill')).toMatch(/^Bybit feed down/);
      expect(await page.getAttribute('body', 'data-data')).toBe('stale');

      await analyzer!.proc.stop('SIGTERM', 5000);
      await page.waitForFunction(() => /Analyzer stale — showing data from/.test(document.querySelector('#status-banner')?.textContent ?? ''), undefined, {
        timeout: 15_000,
      });
      // A dead analyzer says nothing about the exchange: the banner no longer claims Bybit is down.
      expect(await bannerText(page)).not.toMatch(/Bybit/);

      await mc.stop();
      await page.waitForFunction(
        () => /Cache unreachable — showing last known data from/.test(document.querySelector('#status-banner')?.textContent ?? ''),
        undefined,
        { timeout: 15_000 },
      );
      expect((await readTable(page)).map((r) => r.symbol).sort()).toEqual(published);
      expect(browser.problems).toEqual([]);
    } catch (err) {
      throw new Error(`${(err as Error).message}\n${dumpOnFailure(analyzer, web, sim)}`);
    }
  });
});
