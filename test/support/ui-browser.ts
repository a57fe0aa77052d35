/**
 * Headless Chromium for the UI tests (playwright-core with Debian's /usr/bin/chromium): one
 * launch configuration, and a login through the real login form.
 */
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

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
