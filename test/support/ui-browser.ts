/**
 * Headless Chromium for the UI tests (playwright-core with Debian's /usr/bin/chromium): one
 * launch configuration, a login through the real login form, and the set-up of a file of UI
 * tests (the API at a free port and Chromium, in beforeAll and afterAll).
 */
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { startTestApi, type TestApi } from './api-server.ts';
import { started } from './started.ts';

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** A fresh browser context logged in to the UI at `base` with `key` (close the context when done). */
export async function uiLogin(browser: Browser, base: string, key: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${base}/ui/login`);
  await page.fill('#key', key);
  await Promise.all([page.waitForURL(`${base}/ui`), page.click('button[type=submit]')]);
  return { context, page };
}

/** What useUiServer started; reading a field before its beforeAll ran throws. */
export interface UiServer {
  readonly server: TestApi;
  /** `http://127.0.0.1:<port>` */
  readonly base: string;
  readonly browser: Browser;
}

/**
 * Registers beforeAll/afterAll that start the API (startTestApi with `env`, or what the function
 * returns when `env` needs an earlier beforeAll's work, e.g. a challenges folder) and Chromium,
 * then close the browser and the API.
 */
export function useUiServer(env: Record<string, string> | (() => Record<string, string>)): UiServer {
  let server: TestApi | undefined;
  let browser: Browser | undefined;
  beforeAll(async () => {
    server = await startTestApi(typeof env === 'function' ? env() : env);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });
  return {
    get server() {
      return started(server, 'the UI test API');
    },
    get base() {
      return started(server, 'the UI test API').base;
    },
    get browser() {
      return started(browser, 'Chromium');
    },
  };
}
