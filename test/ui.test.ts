/**
 * The reviewer UI in headless Chromium (playwright-core with Debian's chromium) against the app
 * listening on 127.0.0.1, with a real Redis. The stored fixture carries hostile candidate text
 * (a <script> tag and ANSI escapes in a test message, a step log, a flag and the candidate's
 * name); the test checks it renders as inert text.
 */
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { SubmissionRecord, SubmissionStore } from '../runner/store/submissions.ts';
import { seedSubmission, XSS } from '../runner/devtools/ui-fixture.ts';
import { useUiServer } from './support/ui-browser.ts';

const ADMIN = 'ui-admin-key-0123456789abcdef';
const REVIEWER = 'ui-reviewer-key-0123456789ab';
const HOSTILE_NAME = '<img src=x onerror="window.__pwned=2">Mallory';

const ui = useUiServer({ ASSAY_API_KEYS: `ada:admin:${ADMIN},rita:reviewer:${REVIEWER}` });
let store: SubmissionStore;
let hostile: SubmissionRecord;
let queued: SubmissionRecord;

beforeAll(async () => {
  store = ui.server.api.store;
  hostile = (await seedSubmission(store, { candidate: { name: HOSTILE_NAME, email: 'mallory@example.com' }, percent: 40 })).record;
  await seedSubmission(store, { candidate: { name: 'Grace' }, percent: 90, hostile: false });
  queued = (await seedSubmission(store, { candidate: { name: 'Quinn' }, status: 'queued' })).record;
});

async function login(page: Page, key: string): Promise<void> {
  await page.goto(`${ui.base}/ui`);
  expect(new URL(page.url()).pathname).toBe('/ui/login');
  await page.fill('#key', key);
  await Promise.all([page.waitForURL(`${ui.base}/ui`), page.click('button[type=submit]')]);
}

describe('reviewer UI', () => {
  it('refuses a wrong key, then logs in with an HttpOnly SameSite=Strict session cookie', async () => {
    const context = await ui.browser.newContext();
    const page = await context.newPage();
    await page.goto(`${ui.base}/ui/login`);
    await page.fill('#key', 'wrong-key-0123456789abcdef');
    const refused = await Promise.all([page.waitForResponse((r) => r.url().endsWith('/ui/login') && r.request().method() === 'POST'), page.click('button[type=submit]')]);
    expect(refused[0].status()).toBe(401);
    await expect(page.locator('[role=alert]').textContent()).resolves.toContain('not valid');
    await login(page, REVIEWER);
    const cookie = (await context.cookies()).find((c) => c.name === 'assay_session');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
    await expect(page.locator('main').textContent()).resolves.toContain('Build a simple API');
    await context.close();
  });

  it('shows the dashboard ranked by score, auto-refreshing while something is queued, with candidate text inert', async () => {
    const context = await ui.browser.newContext();
    const page = await context.newPage();
    await login(page, REVIEWER);
    const response = await Promise.all([page.waitForResponse((r) => r.url().endsWith('/ui/challenges/simple-api')), page.click('a[href="/ui/challenges/simple-api"]')]);
    expect(response[0].headers()['content-security-policy']).toMatch(/default-src 'none'.*script-src 'nonce-/);
    expect(response[0].headers()['x-content-type-options']).toBe('nosniff');
    const rows = page.locator('tbody tr');
    await expect(rows.count()).resolves.toBe(3);
    await expect(rows.nth(0).textContent()).resolves.toContain('Grace');
    await expect(rows.nth(1).textContent()).resolves.toContain(HOSTILE_NAME);
    await expect(rows.nth(2).textContent()).resolves.toContain('queued');
    await expect(page.locator('meta[http-equiv=refresh]').count()).resolves.toBe(1);
    await expect(page.locator('img').count()).resolves.toBe(0);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();

    await page.goto(`${ui.base}/ui/challenges/simple-api?status=completed`);
    await expect(rows.count()).resolves.toBe(2);
    await expect(page.locator('meta[http-equiv=refresh]').count()).resolves.toBe(0);
    await context.close();
  });

  it('shows a report: score, categories, hidden tests marked hidden, step logs with cut bytes; <script> and ANSI escapes are inert text', async () => {
    const context = await ui.browser.newContext();
    const page = await context.newPage();
    await login(page, REVIEWER);
    await page.goto(`${ui.base}/ui/challenges/simple-api`);
    await page.click(`a[href="/ui/submissions/${hostile.id}"]`);
    await page.waitForURL(`${ui.base}/ui/submissions/${hostile.id}`);

    await expect(page.locator('[data-testid=score]').textContent()).resolves.toMatch(/^\d+(\.\d)?%$/);
    await expect(page.locator('meter').count()).resolves.toBe(2);
    const hiddenRow = page.locator('tr[data-test-id="core.created-at-iso"]');
    await expect(hiddenRow.locator('.badge.hidden').textContent()).resolves.toBe('hidden');
    await expect(hiddenRow.textContent()).resolves.toContain('hidden detail');
    await expect(page.locator('tr[data-test-id="core.health"] .badge.hidden').count()).resolves.toBe(0);

    // A test message with a <script> tag and an ANSI colour: shown literally, without the escape.
    const message = await page.locator('tr[data-test-id="core.create"] pre').textContent();
    expect(message).toContain(`red ${XSS}`);
    expect(message).not.toContain('\u001b');

    // The step log, collapsed until opened.
    const start = page.locator('details[data-step=start]');
    await expect(start.locator('pre').isVisible()).resolves.toBe(false);
    await start.locator('summary').click();
    await expect(start.locator('pre').isVisible()).resolves.toBe(true);
    const log = await start.locator('pre').textContent();
    expect(log).toContain('listening on 8080');
    expect(log).toContain(`candidate says ${XSS}`);
    expect(log).not.toContain('\u001b');
    await expect(page.locator('details[data-step=install] summary').textContent()).resolves.toContain('70000 bytes cut');

    // Images, suite hash, commit; the flag's message as text.
    const body = (await page.locator('main').textContent()) ?? '';
    expect(body).toContain('assay-node:783d8af01f766e78');
    expect(body).toContain(`suite ${'ab12'.repeat(4)}`);
    expect(body).toContain(hostile.commit ?? 'no commit');
    expect(body).toContain(`dropped .npmrc ${XSS}`);

    await expect(page.locator('script').count()).resolves.toBe(0);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    // Reviewers have no rerun button.
    await expect(page.locator('form[action$="/rerun"]').count()).resolves.toBe(0);
    await context.close();
  });

  it('lets an admin rerun through a CSRF-protected form, and refuses a forged one', async () => {
    const context = await ui.browser.newContext();
    const page = await context.newPage();
    await login(page, ADMIN);
    await page.goto(`${ui.base}/ui/submissions/${hostile.id}`);

    const forged = await page.request.post(`${ui.base}/ui/submissions/${hostile.id}/rerun`, { form: { csrf: 'forged' }, maxRedirects: 0 });
    expect(forged.status()).toBe(403);
    expect((await store.get(hostile.id))!.runs).toBe(1);

    await Promise.all([page.waitForURL(`${ui.base}/ui/submissions/${hostile.id}`), page.click('form[action$="/rerun"] button')]);
    const after = await store.get(hostile.id);
    expect(after).toMatchObject({ runs: 2, status: 'queued' });
    await expect(page.locator('main').textContent()).resolves.toContain('run 2 queued');
    // The earlier run's report is still shown and linked.
    await expect(page.locator('[data-testid=score]').count()).resolves.toBe(1);

    // Cancel the queued rerun from its page.
    await Promise.all([page.waitForURL(`${ui.base}/ui/submissions/${hostile.id}`), page.click('form[action$="/cancel"] button')]);
    expect((await store.get(hostile.id))!.status).toBe('canceled');
    await context.close();
  });

  it('logs out; the pages then ask for a login again', async () => {
    const context = await ui.browser.newContext();
    const page = await context.newPage();
    await login(page, REVIEWER);
    await Promise.all([page.waitForURL(`${ui.base}/ui/login`), page.click('header button')]);
    await page.goto(`${ui.base}/ui/submissions/${queued.id}`);
    expect(new URL(page.url()).pathname).toBe('/ui/login');
    await context.close();
  });
});
