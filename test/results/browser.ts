/**
 * Debian's chromium driven by playwright-core (no browser download). `openBrowser` answers
 * undefined with the reason when chromium is not installed, so tests can skip with one line.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export interface OpenBrowser {
  browser: BrowserContext;
  close(): Promise<void>;
}

export async function openBrowser(): Promise<OpenBrowser | string> {
  if (!existsSync(CHROMIUM)) return `chromium not found at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`;
  const profile = mkdtempSync(join(tmpdir(), 'difyrun-chromium-'));
  // A fresh profile each time (Playwright passes it as --user-data-dir).
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return {
    browser,
    close: async () => {
      await browser.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Opens a report file; `problems` collects console errors, page errors and any network request. */
export async function openReport(browser: BrowserContext, file: string, viewport = { width: 1280, height: 900 }): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage();
  await page.setViewportSize(viewport);
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') problems.push(`console ${message.type()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('request', (request) => {
    if (!request.url().startsWith('file:') && !request.url().startsWith('data:')) problems.push(`network request: ${request.url()}`);
  });
  await page.goto(`file://${file}`);
  // The first page shows first; search and filters open once every row is read.
  await page.waitForSelector('#search:enabled');
  return { page, problems };
}
