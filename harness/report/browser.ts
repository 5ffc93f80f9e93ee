/**
 * Our pages in a real browser: Debian's Chromium driven by playwright-core, each page opened in a
 * fresh context with what it did wrong noted (script or console errors, anything fetched from
 * outside its own file). `npm run docs:screenshot` draws the docs' screenshots with it; the tests
 * read pages with it (harness/test-support/browser.ts).
 *
 *   await using browser = await PageBrowser.launch();
 *   await browser.screenshot(`${runDir}/report.html`, '/tmp/report.png');
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's package: `apt-get install -y --no-install-recommends chromium`. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

// Root in a container has no user namespace for Chromium's sandbox; the rest keeps a test run
// from reaching the network (updates, sync, field trials) behind the page's back.
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** A page wide enough for the chart's 1200 units to draw at about one pixel each. */
const VIEWPORT = { width: 1360, height: 900 };

/** Chromium is not installed, or does not start: nobody can look at the page at all. */
export class BrowserUnavailableError extends Error {
  override name = 'BrowserUnavailableError';
}

/** What a page did that it should not: script errors, and requests to anywhere but its own file. */
export interface PageTrouble {
  consoleErrors: string[];
  pageErrors: string[];
  /** Anything the page asked for beyond its own file: a self-contained page asks for nothing. */
  externalRequests: string[];
}

/** Start Chromium at `executablePath`, or say why it cannot be. */
export async function launchChromium(executablePath = CHROMIUM_PATH): Promise<Browser> {
  if (!existsSync(executablePath)) {
    throw new BrowserUnavailableError(`no Chromium at ${executablePath} (apt-get install -y --no-install-recommends chromium)`);
  }
  try {
    return await chromium.launch({ executablePath, args: CHROMIUM_ARGS });
  } catch (error) {
    throw new BrowserUnavailableError(`Chromium at ${executablePath} did not start: ${(error as Error).message}`, { cause: error });
  }
}

export class PageBrowser implements AsyncDisposable {
  readonly #browser: Browser;

  protected constructor(browser: Browser) {
    this.#browser = browser;
  }

  static async launch(executablePath = CHROMIUM_PATH): Promise<PageBrowser> {
    return new PageBrowser(await launchChromium(executablePath));
  }

  /** Open a page of ours in a fresh context (no cookies, no cache), noting its errors and any outside request. */
  protected async open<T>(file: string, use: (page: Page, seen: PageTrouble) => Promise<T>): Promise<T> {
    const context = await this.#browser.newContext({ viewport: VIEWPORT });
    try {
      const page = await context.newPage();
      const seen: PageTrouble = { consoleErrors: [], pageErrors: [], externalRequests: [] };
      page.on('console', (message) => {
        if (message.type() === 'error') seen.consoleErrors.push(message.text());
      });
      page.on('pageerror', (error) => seen.pageErrors.push(error.message));
      page.on('request', (request) => {
        if (!/^(file|data|about):/.test(request.url())) seen.externalRequests.push(request.url());
      });
      await page.goto(pathToFileURL(path.resolve(file)).href, { waitUntil: 'load' });
      return await use(page, seen);
    } finally {
      await context.close();
    }
  }

  /** A full-page PNG of any page of ours, or its top `maxHeight` pixels. */
  async screenshot(file: string, out: string, options: { maxHeight?: number } = {}): Promise<void> {
    await this.open(file, async (page) => {
      const clip = options.maxHeight ? { x: 0, y: 0, width: VIEWPORT.width, height: options.maxHeight } : undefined;
      await page.screenshot({ path: out, fullPage: true, ...(clip ? { clip } : {}) });
    });
  }

  /** Open any page of ours and read it with `read` (run in the page): what it returns, and the page's trouble. */
  async read<T>(file: string, read: () => T): Promise<{ value: T } & PageTrouble> {
    return this.open(file, async (page, seen) => ({ value: (await page.evaluate(read)) as T, ...seen }));
  }

  async close(): Promise<void> {
    await this.#browser.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
