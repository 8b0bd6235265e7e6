import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type BrowserContext, type Page, chromium } from 'playwright-core';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface Browser {
  context: BrowserContext;
  /** Console errors, page errors and dialogs seen on any page of this browser. */
  problems: string[];
  newPage(): Promise<Page>;
  close(): Promise<void>;
}

/** Headless Debian Chromium with a fresh profile directory, removed on close. */
export async function launchBrowser(viewport = { width: 1440, height: 900 }): Promise<Browser> {
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'confluence-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
    viewport,
  });
  const problems: string[] = [];
  const watch = (page: Page): void => {
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('dialog', (d) => {
      problems.push(`dialog (${d.type()}): ${d.message()}`);
      void d.dismiss();
    });
  };
  context.pages().forEach(watch);
  context.on('page', watch);
  return {
    context,
    problems,
    async newPage() {
      const blank = context.pages().find((p) => p.url() === 'about:blank');
      return blank ?? context.newPage();
    },
    async close() {
      await context.close().catch(() => undefined);
      fs.rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

export interface TableRowView {
  symbol: string;
  score: string;
  direction: string;
  price: string;
  classes: string;
}

/**
 * The table as the user sees it, top to bottom, read in one evaluation. (`page.$$eval` queries the rows in one
 * round trip and reads them in a second, so a render between the two paired the old row order with new texts.)
 */
export function readTable(page: Page): Promise<TableRowView[]> {
  return page.evaluate(() =>
    Array.from(document.querySelectorAll('#symbols-body .row')).map((tr) => ({
      symbol: (tr as HTMLElement).dataset.symbol ?? '',
      score: tr.querySelector('.score-num')?.textContent ?? '',
      direction: tr.querySelector('.dir-word')?.textContent ?? '',
      price: tr.querySelector('.c-price')?.textContent ?? '',
      classes: tr.className,
    })),
  );
}

/** Visible text of the status banner (empty when hidden). */
export function bannerText(page: Page): Promise<string> {
  return page.$eval('#status-banner', (el) => ((el as HTMLElement).hidden ? '' : (el.textContent ?? '')));
}
