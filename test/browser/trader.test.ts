import type { Page } from 'playwright-core';
import { type Cache, createCache } from '@confluence/cache';
import { createKeys } from '@confluence/contracts';
import { type Memcached, type Service, getJson, startMemcached, startWeb, stopAll, waitFor } from '@confluence/testkit';
import { type Browser, bannerText, launchBrowser, readTable } from './browser';
import { FixturePublisher, MarketFixture, publishExtras, publishGeneration } from './market-fixture';

/**
 * The dashboard as a demanding trader uses it, in real Chromium against the real web process and Memcached:
 * rows that hold still under the pointer, prices at the tick size, status words that are true, focus that stays,
 * layout that does not jump, and a detail that agrees with itself.
 */

const PUBLISH_MS = 500;

type Stats = { renders: number; reorders: number; detailRenders: number };
const stats = (page: Page): Promise<Stats> =>
  page.evaluate(() => (window as unknown as { confluenceDashboard: { stats(): Stats } }).confluenceDashboard.stats());

/** Waits until the page has rendered `n` more generations than now. */
async function generations(page: Page, n: number): Promise<void> {
  const start = (await stats(page)).renders;
  await page.waitForFunction((s) => (window as unknown as { confluenceDashboard: { stats(): Stats } }).confluenceDashboard.stats().renders >= s, start + n, {
    timeout: 15_000,
  });
}

const order = async (page: Page): Promise<string[]> => (await readTable(page)).map((r) => r.symbol);

describe('the dashboard for a trader', () => {
  const keys = createKeys();
  let mc: Memcached;
  let web: Service;
  let cache: Cache;
  let browser: Browser;
  let page: Page;
  let fx: MarketFixture;

  const publishNow = () => publishGeneration(cache, keys, fx, { details: true, publishIntervalMs: PUBLISH_MS });
  const publisher = new FixturePublisher(() => fx.step(), publishNow, PUBLISH_MS);
  const startPublisher = (): void => publisher.start();
  const stopPublisher = (): void => publisher.stop();

  beforeAll(async () => {
    mc = await startMemcached();
    web = await startWeb({ MEMCACHED_SERVERS: mc.address, PUBLISH_INTERVAL_MS: String(PUBLISH_MS) });
    cache = createCache({ servers: [mc.address], timeoutMs: 1000 });
    fx = new MarketFixture(15, 42);
    await publishNow();
    await publishExtras(cache, keys, fx);
    startPublisher();
    await waitFor(async () => (await getJson<{ status: { state: string } }>(`${web.url}/api/status`)).body.status.state === 'ok', { what: 'web status ok' });
    browser = await launchBrowser();
    page = await browser.newPage();
  });

  afterAll(async () => {
    stopPublisher();
    await browser?.close();
    cache?.close();
    await stopAll(web);
    await mc?.stop();
  });

  test('when the page loads, then layout shift stays at or under 0.1 and the chart library is not fetched', async () => {
    const requested: string[] = [];
    page.on('request', (r) => requested.push(new URL(r.url()).pathname));
    await page.addInitScript(() => {
      const w = window as unknown as { __cls: number; __shifts: string[] };
      w.__cls = 0;
      w.__shifts = [];
      type Shift = PerformanceEntry & {
        value: number;
        hadRecentInput: boolean;
        sources?: Array<{ node?: Node; previousRect: DOMRectReadOnly; currentRect: DOMRectReadOnly }>;
      };
      new PerformanceObserver((list) => {
        for (const e of list.getEntries() as Shift[]) {
          if (e.hadRecentInput) continue;
          w.__cls += e.value;
          const what = (e.sources ?? []).map((s) => {
            const el = s.node as Element | undefined;
            return `${el?.id || el?.className || el?.nodeName || '?'} ${Math.round(s.previousRect.y)}→${Math.round(s.currentRect.y)} h${Math.round(s.previousRect.height)}→${Math.round(s.currentRect.height)}`;
          });
          w.__shifts.push(`${e.value.toFixed(4)} @${Math.round(e.startTime)}ms: ${what.join('; ')}`);
        }
      }).observe({ type: 'layout-shift', buffered: true });
    });
    await page.goto(`${web.url}/`);
    await page.waitForFunction((n) => document.querySelectorAll('#symbols-body .row').length === n, fx.symbols.length);
    await page.waitForFunction(
      () => document.querySelectorAll('#alerts-body li.alert').length > 0 && document.querySelectorAll('table.track tbody tr').length > 0,
    );
    await generations(page, 4);
    const cls = await page.evaluate(() => (window as unknown as { __cls: number }).__cls);
    const shifts = await page.evaluate(() => (window as unknown as { __shifts: string[] }).__shifts);
    console.log(`cumulative layout shift at load: ${cls.toFixed(4)}${shifts.length ? `\n${shifts.join('\n')}` : ''}`);
    expect(cls).toBeLessThanOrEqual(0.1);
    expect(requested.some((p) => p.includes('lightweight-charts'))).toBe(false);
    // No transition animates a property that needs layout (width, height, position, margins).
    const layoutTransitions = await page.evaluate(() =>
      [...document.querySelectorAll('*')].flatMap((el) => {
        const cs = getComputedStyle(el);
        const props = cs.transitionProperty.split(',').map((p) => p.trim());
        const durations = cs.transitionDuration.split(',').map((d) => parseFloat(d));
        return props
          .filter((p, i) => (durations[i % durations.length] ?? 0) > 0 && /^(all|width|height|top|left|right|bottom|margin.*|padding.*|inset)$/.test(p))
          .map((p) => `${el.className}: ${p}`);
      }),
    );
    expect(layoutTransitions).toEqual([]);
  });

  test('when the pointer rests on the table, then the order holds with a visible cue, and re-sorts once it leaves', async () => {
    await page.mouse.move(5, 5);
    await generations(page, 2);
    const third = (await order(page))[2];
    await page.locator(`#symbols-body .row[data-symbol="${third}"]`).hover();
    await page.waitForFunction(() => document.querySelector('#order-cue')?.textContent === 'Order paused: pointer on table');
    // Read once frozen (a generation may have re-sorted between the read above and the hover).
    const before = await order(page);
    const hoveredRow = () => page.evaluate(() => (document.querySelector('#symbols-body .row:hover') as HTMLElement | null)?.dataset.symbol ?? null);
    const underAtStart = await hoveredRow();
    expect(underAtStart).not.toBeNull();
    const last = before[before.length - 1];
    const reorders = (await stats(page)).reorders;
    // The bottom row jumps to the top score: a real rank change, held while the pointer is there.
    fx.setScore(last, 97);
    await page.waitForFunction((s) => document.querySelector(`#symbols-body .row[data-symbol="${s}"] .score-num`)?.textContent === '97.0', last);
    await generations(page, 3);
    expect(await order(page)).toEqual(before);
    expect((await stats(page)).reorders).toBe(reorders);
    // The row under the pointer is still the one that was there.
    expect(await hoveredRow()).toBe(underAtStart);
    expect(await page.getAttribute('#order-cue', 'data-pending')).toBe('true');

    await page.mouse.move(5, 5);
    await page.waitForFunction((s) => document.querySelector('#symbols-body .row')?.getAttribute('data-symbol') === s, last);
    expect(await page.getAttribute('#order-cue', 'data-reason')).toBe('');
  });

  test('when a row has keyboard focus or the order is paused, then the order holds until released', async () => {
    await page.mouse.move(5, 5);
    await page.focus(`#symbols-body .row[data-symbol="${(await order(page))[1]}"]`);
    await page.waitForFunction(() => document.querySelector('#order-cue')?.textContent === 'Order paused: row has focus');
    const before = await order(page);
    fx.setScore(before[before.length - 1], 99);
    await page.waitForFunction(
      (s) => document.querySelector(`#symbols-body .row[data-symbol="${s}"] .score-num`)?.textContent === '99.0',
      before[before.length - 1],
    );
    await generations(page, 2);
    expect(await order(page)).toEqual(before);
    await page.evaluate(() => (document.activeElement as HTMLElement).blur());
    await page.waitForFunction((s) => document.querySelector('#symbols-body .row')?.getAttribute('data-symbol') === s, before[before.length - 1]);

    await page.click('#order-pause');
    await page.mouse.move(5, 5);
    expect(await page.getAttribute('#order-pause', 'aria-pressed')).toBe('true');
    expect(await page.textContent('#order-cue')).toBe('Order paused');
    const paused = await order(page);
    fx.setScore(paused[paused.length - 1], 100);
    await page.waitForFunction(
      (s) => document.querySelector(`#symbols-body .row[data-symbol="${s}"] .score-num`)?.textContent === '100.0',
      paused[paused.length - 1],
    );
    await generations(page, 2);
    expect(await order(page)).toEqual(paused);
    await page.click('#order-pause');
    await page.mouse.move(5, 5);
    await page.waitForFunction((s) => document.querySelector('#symbols-body .row')?.getAttribute('data-symbol') === s, paused[paused.length - 1]);
  });

  test('when prices are PEPE-like and BTC-like, then every price is at its tick size with thousands separators', async () => {
    const rows = Object.fromEntries((await readTable(page)).map((r) => [r.symbol, r.price]));
    expect(rows['1000PEPEUSDT']).toMatch(/^0\.\d{7}$/);
    expect(rows.BTCUSDT).toMatch(/^\d{2,3},\d{3}\.\d$/);
    expect(rows.ETHUSDT).toMatch(/^\d,\d{3}\.\d{2}$/);
    await page.click('#symbols-body .row[data-symbol="1000PEPEUSDT"] .c-price');
    await page.waitForSelector('dialog#detail[open]');
    await page.waitForFunction(() => (document.querySelector('#detail .book .kv-row.bull dd')?.textContent ?? '').length > 0);
    const [bid, ask] = await page.$$eval('#detail .book .kv-row dd', (d) => [d[0].textContent, d[1].textContent]);
    expect(bid).toMatch(/^0\.\d{7}$/);
    expect(ask).toMatch(/^0\.\d{7}$/);
    expect(bid).not.toBe(ask);
    expect(await page.textContent('#detail [data-sum="price"]')).toMatch(/^0\.\d{7}$/);
    // The chart's readout (its latest point, the live value) uses the same format.
    await page.waitForFunction(() => /price 0\.\d{7}$/.test(document.querySelector('#detail .chart-readout')?.textContent ?? ''));
    await page.keyboard.press('Escape');
    await page.waitForSelector('dialog#detail:not([open])', { state: 'attached' });
    // Alerts show their price at the tick size too.
    const alertPrices = await page.$$eval('#alerts-body .alert-price', (els) => els.map((e) => e.textContent ?? ''));
    expect(alertPrices.length).toBeGreaterThan(0);
    for (const p of alertPrices) expect(p).toMatch(/^[\d,]+\.\d+$/);
  });

  test('when a detail is open, then its header, chart and "what changed" agree, one meaning per word, and it does not grow', async () => {
    await page.click('#symbols-body .row[data-symbol="ETHUSDT"] .c-price');
    await page.waitForSelector('#detail-chart canvas');
    await page.waitForFunction(() => document.querySelectorAll('#detail .comp').length === 6);
    // Hovering shows the data point nearest the pointer, not the cursor's own axis values.
    const box = (await page.locator('#detail-chart').boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.4, box.y + box.height * 0.13);
    await page.waitForFunction(() => /^\d\d:\d\d:\d\d · score/.test(document.querySelector('#detail .chart-readout')?.textContent ?? ''));
    const hovered = (await page.textContent('#detail .chart-readout'))!;
    const history = await getJson<{ data: { points: Array<[number, number | null, number | null]> } }>(`${web.url}/api/symbols/ETHUSDT/history`);
    const hoveredScore = /score (\d+\.\d)/.exec(hovered)![1];
    expect(history.body.data.points.map((p) => (p[1] === null ? '—' : p[1].toFixed(1)))).toContain(hoveredScore);
    expect(hovered).toMatch(/:00 · score/); // history points sit on whole minutes
    await page.mouse.move(2, 2);
    // The chart's last point is the header's value: at once, and at every generation after.
    for (let i = 0; i < 4; i++) {
      const agree = await page.evaluate(() => {
        const score = document.querySelector('#detail [data-sum="score"]')?.textContent ?? '';
        const readout = document.querySelector('#detail .chart-readout')?.textContent ?? '';
        return { score, readout };
      });
      expect(agree.readout).toMatch(new RegExp(`^Latest · .* · score ${agree.score.replace('.', '\\.')} · price `));
      await generations(page, 1);
    }
    // "pts" only ever means weight × score; the pull from 50 has its own name and no "pts".
    expect(await page.textContent('#detail .contributors')).not.toContain('pts');
    expect(await page.textContent('#d-top-h')).toBe('Pull from neutral');
    // What changed, in words a keyboard and a finger reach (no tooltip needed).
    const changed = await page.textContent('#detail .what-changed');
    expect(changed).toMatch(/Score change, 15 min[+−]?\d+\.\d points|Score change, 15 min0\.0 points/);
    expect(changed).toMatch(/Direction held(Bullish|Bearish|Neutral) for \d+ min/);
    expect(changed).toMatch(/Since the last alert/);
    expect(await page.textContent('#detail-chart-summary')).toMatch(/^Score from \d+\.\d at/);

    // Flat: over many generations the dialog keeps its node count, and the breakdown is fetched at most every 2 s.
    const detailFetches: string[] = [];
    const onRequest = (r: { url(): string }) => {
      if (/\/api\/symbols\/ETHUSDT$/.test(new URL(r.url()).pathname)) detailFetches.push(r.url());
    };
    page.on('request', onRequest);
    const count = () => page.evaluate(() => document.querySelectorAll('#detail *').length);
    const n0 = await count();
    const t0 = Date.now();
    await generations(page, 12);
    const elapsed = Date.now() - t0;
    const n1 = await count();
    page.off('request', onRequest);
    console.log(`detail: ${n0} → ${n1} nodes over ${elapsed} ms, ${detailFetches.length} breakdown fetches`);
    expect(Math.abs(n1 - n0)).toBeLessThanOrEqual(20);
    expect(detailFetches.length).toBeLessThanOrEqual(Math.ceil(elapsed / 2000) + 1);
    await page.keyboard.press('Escape');
    await page.waitForSelector('dialog#detail:not([open])', { state: 'attached' });
  });

  test('when a mover button has focus, then it keeps it across generations', async () => {
    await page.focus('[data-list="strongest"] li:first-child .mover-sym');
    await page.evaluate(() => ((document.activeElement as HTMLElement & { __mark?: boolean }).__mark = true));
    await generations(page, 4);
    const kept = await page.evaluate(() => {
      const a = document.activeElement as (HTMLElement & { __mark?: boolean }) | null;
      return { mark: a?.__mark === true, cls: a?.className ?? '' };
    });
    expect(kept).toEqual({ mark: true, cls: 'mover-sym' });
    await page.evaluate(() => (document.activeElement as HTMLElement).blur());
  });

  test('when tabbing from the top of the page, then the filters come within the first few stops', async () => {
    await page.reload();
    await page.waitForFunction((n) => document.querySelectorAll('#symbols-body .row').length === n, fx.symbols.length);
    let stops = 0;
    for (; stops < 12; stops++) {
      await page.keyboard.press('Tab');
      if (await page.evaluate(() => Boolean(document.activeElement?.closest('#direction-filter')))) break;
    }
    expect(stops + 1).toBeLessThanOrEqual(6);
    await page.evaluate(() => (document.activeElement as HTMLElement).blur());
  });

  test('when the blue/orange palette is chosen, then bullish and bearish are blue and orange, and it is remembered', async () => {
    const colour = () => page.$eval('#symbols-body .dir.bullish, .breadth .kv-row.bull', (el) => getComputedStyle(el).color);
    const before = await colour();
    await page.check('#palette-cb');
    const after = await colour();
    expect(after).not.toBe(before);
    expect(after).toBe('rgb(61, 156, 240)');
    await page.reload();
    await page.waitForFunction((n) => document.querySelectorAll('#symbols-body .row').length === n, fx.symbols.length);
    expect(await page.isChecked('#palette-cb')).toBe(true);
    await page.uncheck('#palette-cb');
  });

  test('when the viewport is 1280 px, then no STRONG badge, age or overview symbol is cut off', async () => {
    await page.setViewportSize({ width: 1280, height: 720 });
    try {
      fx.setScore('BTCUSDT', 82.4);
      await page.waitForFunction(() => document.querySelector('#symbols-body .row[data-symbol="BTCUSDT"] .dir-strength')?.textContent === 'strong');
      const clipped = await page.evaluate(() =>
        [
          ...document.querySelectorAll(
            '#symbols-body .c-dir, #symbols-body .c-age, #symbols-body .c-held, #symbols-body .c-price, .overview-grid .mover-sym, .overview-grid .mover-val',
          ),
        ]
          .filter((el) => el.scrollWidth > el.clientWidth + 1)
          .map((el) => `${el.className}: ${el.textContent}`),
      );
      expect(clipped).toEqual([]);
    } finally {
      await page.setViewportSize({ width: 1440, height: 900 });
    }
  });

  test('when the detail is opened on a phone, then sub-signals read as cards with a full-width note', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    try {
      await page.click('#symbols-body .row[data-symbol="ETHUSDT"] .c-sym');
      await page.waitForSelector('#detail .comp[data-component="technical"][open] table.subs');
      const m = await page.evaluate(() => {
        const note = document.querySelector('#detail .comp[data-component="technical"] td.note:not(:empty)') as HTMLElement | null;
        const tr = note?.closest('tr') as HTMLElement | null;
        const dialog = document.querySelector('#detail') as HTMLElement;
        const tech = document.querySelector('#detail .comp[data-component="technical"]') as HTMLElement;
        return {
          note: note?.getBoundingClientRect().width ?? 0,
          row: tr?.getBoundingClientRect().height ?? 0,
          overflow: dialog.scrollWidth - dialog.clientWidth,
          tech: tech.getBoundingClientRect().height,
        };
      });
      console.log(`phone detail: note ${m.note.toFixed(0)} px wide, row ${m.row.toFixed(0)} px tall, Technical ${m.tech.toFixed(0)} px`);
      expect(m.note).toBeGreaterThanOrEqual(300);
      expect(m.row).toBeLessThanOrEqual(90);
      expect(m.overflow).toBeLessThanOrEqual(1);
      await page.keyboard.press('Escape');
      await page.waitForSelector('dialog#detail:not([open])', { state: 'attached' });
    } finally {
      await page.setViewportSize({ width: 1440, height: 900 });
    }
  });

  test('when viewing a recorded minute, then the detail says it shows live data, not that minute', async () => {
    const minute = await page.$$eval('#tt-select option', (o) => o.map((x) => (x as HTMLOptionElement).value).filter(Boolean)[0]);
    await page.selectOption('#tt-select', minute);
    await page.waitForFunction(() => /not live/.test(document.querySelector('#tt-banner')?.textContent ?? ''));
    await page.click('#symbols-body .row[data-symbol="ETHUSDT"] .c-price');
    await page.waitForSelector('dialog#detail[open]');
    await page.waitForFunction(() =>
      /^The table shows \d\d:\d\d; this detail shows live data/.test(document.querySelector('#detail .detail-state')?.textContent ?? ''),
    );
    await page.keyboard.press('Escape');
    await page.waitForSelector('dialog#detail:not([open])', { state: 'attached' });
    await page.click('#tt-back');
  });

  test('when the exchange feed is down, then the banner and pill say so, the table is dimmed, and the detail carries it', async () => {
    await page.mouse.move(5, 5);
    fx.feedDown = true;
    try {
      await page.waitForFunction(() => /^Bybit unreachable — retrying/.test(document.querySelector('#status-banner')?.textContent ?? ''), undefined, {
        timeout: 10_000,
      });
      expect(await page.textContent('#data-pill')).toMatch(/^Bybit feed down · last message \d+ s ago$/);
      expect(await page.getAttribute('body', 'data-data')).toBe('stale');
      const look = await page.evaluate(() => {
        const cell = document.querySelector('#symbols-body .row .c-score') as HTMLElement;
        const badge = [...document.querySelectorAll('#symbols-body .dir-strength')].find((b) => b.textContent) as HTMLElement | undefined;
        return {
          opacity: Number(getComputedStyle(cell).opacity),
          filter: getComputedStyle(cell).filter,
          badgeBg: badge ? getComputedStyle(badge).backgroundColor : null,
        };
      });
      expect(look.opacity).toBeLessThan(1);
      expect(look.filter).toContain('grayscale');
      if (look.badgeBg !== null) expect(look.badgeBg).toBe('rgba(0, 0, 0, 0)');
      await page.click('#symbols-body .row[data-symbol="ETHUSDT"] .c-price');
      await page.waitForSelector('dialog#detail[open]');
      await page.waitForFunction(() => /^Not live: Bybit unreachable/.test(document.querySelector('#detail .detail-state')?.textContent ?? ''));
      await page.waitForFunction(() => /was measured when this was published/.test(document.querySelector('#detail .conf-note')?.textContent ?? ''));
      await page.keyboard.press('Escape');
      await page.waitForSelector('dialog#detail:not([open])', { state: 'attached' });
    } finally {
      fx.feedDown = false;
    }
    await page.waitForFunction(() => document.querySelector('#data-pill')?.textContent?.startsWith('Live') === true, undefined, { timeout: 10_000 });
    expect(await page.getAttribute('body', 'data-data')).toBe('live');
  });

  test('when the analyzer stops, then the page says the analyzer is stale and never blames Bybit', async () => {
    fx.feedDown = false;
    stopPublisher();
    try {
      await page.waitForFunction(
        () => /^Analyzer stale — showing data from \d+ s ago/.test(document.querySelector('#status-banner')?.textContent ?? ''),
        undefined,
        { timeout: 10_000 },
      );
      expect(await page.textContent('#data-pill')).toMatch(/^Analyzer stale · data \d+ s old$/);
      // Past the 15 s at which the old page started to claim "Bybit unreachable".
      await page.waitForFunction(() => /from (1[7-9]|[2-9]\d) s ago/.test(document.querySelector('#status-banner')?.textContent ?? ''), undefined, {
        timeout: 25_000,
      });
      expect(await bannerText(page)).not.toMatch(/Bybit/);
      expect(await page.getAttribute('body', 'data-data')).toBe('stale');
      // The banner's level mark is drawn by CSS, not an emoji that may render as a missing glyph.
      const mark = await page.$eval('#status-banner .banner-line', (el) => getComputedStyle(el, '::before').content);
      expect(mark).toMatch(/^"[!i]"$/);
    } finally {
      startPublisher();
    }
    await page.waitForFunction(() => (document.querySelector('#status-banner') as HTMLElement).hidden, undefined, { timeout: 15_000 });
  });

  test('when the user prefers reduced motion, then nothing flashes and the order does not move each second', async () => {
    const rm = await browser.context.newPage();
    try {
      await rm.emulateMedia({ reducedMotion: 'reduce' });
      await rm.goto(`${web.url}/`);
      await rm.mouse.move(5, 5);
      await rm.waitForFunction((n) => document.querySelectorAll('#symbols-body .row').length === n, fx.symbols.length);
      const before = await order(rm);
      const target = before[before.length - 1];
      fx.setScore(target, 96);
      await rm.waitForFunction((s) => document.querySelector(`#symbols-body .row[data-symbol="${s}"] .score-num`)?.textContent === '96.0', target);
      await generations(rm, 2);
      expect(await order(rm)).toEqual(before);
      expect(await rm.getAttribute(`#symbols-body .row[data-symbol="${target}"]`, 'data-crossed')).toBeNull();
      expect(await rm.textContent('#order-cue')).toBe('Order refreshes every 30 s');
    } finally {
      await rm.close();
    }
  });

  test('when the whole walk is over, then the page logged no console errors', () => {
    expect(browser.problems).toEqual([]);
  });
});
