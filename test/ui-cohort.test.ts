/**
 * The cohort pages in headless Chromium (playwright-core with Debian's chromium) against the app
 * listening on 127.0.0.1 with a real Redis: the statistics page (inline SVG histogram and pass
 * rates with their labels, tests everyone fails or passes marked, the tables behind them, the
 * version filter) and the dashboard (columns, filters, search, sort by a header, pagination
 * whose links keep the filters, a bad query as a 400 page, hostile names inert).
 */
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiProcess, type ApiProcess } from '../api/wire.ts';
import { buildConfig } from '../runner/config.ts';
import { createLogger } from '../runner/log.ts';
import type { TestStatus } from '../runner/report/schema.ts';
import { startRedis, type TestRedis } from '../runner/devtools/redis.ts';
import { testEnv } from '../runner/devtools/stack.ts';
import { seedSubmission } from '../runner/devtools/ui-fixture.ts';
import { fullReview } from './support/review-challenges.ts';
import { launchChromium, uiLogin } from './support/ui-browser.ts';

const REVIEWER = 'ui-cohort-reviewer-key-012345';
const HOSTILE = '<img src=x onerror="window.__pwned=3">Alice';
/** More than a page (50) of bulk submissions besides the two named ones. */
const BULK = 53;

const tests = (health: TestStatus, create: TestStatus, iso: TestStatus, title: TestStatus) => ({ 'core.health': health, 'core.create': create, 'core.created-at-iso': iso, 'validation.missing-title': title });

let redis: TestRedis;
let api: ApiProcess;
let base: string;
let browser: Browser;
/** When each bulk submission was created, by name. */
const createdAt = new Map<string, number>();
let bobId: string;

beforeAll(async () => {
  redis = await startRedis();
  const config = buildConfig({ ...process.env, ...testEnv(redis.url, { ASSAY_API_KEYS: `rita:reviewer:${REVIEWER}`, ASSAY_LOG_LEVEL: 'silent' }) });
  api = await createApiProcess(config, { log: createLogger('silent'), checkEngine: null });
  const server = await api.listen(0, '127.0.0.1');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const store = api.store;
  // 100% (flagged), 42.9% (flagged), then the bulk: 78.6% and 21.4% in turn; one on version 1.1.0.
  await seedSubmission(store, { candidate: { name: HOSTILE }, tests: tests('passed', 'passed', 'passed', 'passed'), flags: ['output_limit'], hostile: false });
  bobId = (await seedSubmission(store, { candidate: { name: 'Bob Builder', email: 'bob@example.com' }, tests: tests('passed', 'failed', 'failed', 'passed'), flags: ['files_dropped'], hostile: false })).record.id;
  for (let i = 1; i <= BULK; i++) {
    const good = i % 2 === 0;
    const name = `Bulk ${String(i).padStart(2, '0')}`;
    const { record } = await seedSubmission(store, { candidate: { name }, tests: good ? tests('passed', 'passed', 'failed', 'passed') : tests('passed', 'failed', 'failed', 'failed'), hostile: false, ...(i === BULK ? { version: '1.1.0' } : {}) });
    createdAt.set(name, Date.parse(record.createdAt));
  }
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await api?.close();
  await redis?.stop();
});

async function loggedIn(): Promise<Page> {
  return (await uiLogin(browser, base, REVIEWER)).page;
}

const rowNames = (page: Page) => page.locator('tbody tr td:nth-child(2)').allTextContents();

describe('statistics page', () => {
  it('draws the histogram and the pass rates as labelled SVG, marks uniform tests, and filters by version', async () => {
    const page = await loggedIn();
    await page.goto(`${base}/ui/challenges/simple-api`);
    const [response] = await Promise.all([page.waitForResponse((r) => r.url().endsWith('/ui/challenges/simple-api/stats')), page.click('a[href="/ui/challenges/simple-api/stats"]')]);
    expect(response.status()).toBe(200);
    expect(response.headers()['content-security-policy']).toMatch(/script-src 'nonce-/);
    await expect(page.locator('[data-testid=count]').textContent()).resolves.toBe(String(BULK + 2));

    const histogram = page.locator('svg[data-testid=histogram]');
    await expect(histogram.getAttribute('role')).resolves.toBe('img');
    await expect(histogram.locator('title#hist-title').textContent()).resolves.toBe(`Scores of ${BULK + 2} graded submissions, in bins of 10 points`);
    await expect(histogram.locator('g[data-bin]').count()).resolves.toBe(10);
    await expect(histogram.locator('text.bin').allTextContents()).resolves.toEqual(['0–9', '10–19', '20–29', '30–39', '40–49', '50–59', '60–69', '70–79', '80–89', '90–100']);
    // 27 at 21.4%, 1 at 42.9%, 26 at 78.6%, 1 at 100%.
    await expect(histogram.locator('text.count').allTextContents()).resolves.toEqual(['0', '0', '27', '0', '1', '0', '0', '26', '0', '1']);
    const tallest = await histogram.locator('g[data-bin="20"] rect').boundingBox();
    const single = await histogram.locator('g[data-bin="90"] rect').boundingBox();
    expect(tallest!.height).toBeGreaterThan(single!.height * 20);

    const rates = page.locator('svg[data-testid=pass-rates]');
    await expect(rates.locator('title#pass-title').textContent()).resolves.toContain('Pass rate of each test');
    await expect(rates.locator('text.label').allTextContents()).resolves.toEqual(['GET /health returns 200', 'POST /tasks returns 201 with the created task', 'createdAt is an ISO-8601 timestamp', 'Missing title returns 400']);
    await expect(rates.locator('g[data-test="core.health"]').getAttribute('data-uniform')).resolves.toBe('all_passed');
    await expect(rates.locator('g[data-test="core.health"] text.value').textContent()).resolves.toBe('100% · nobody fails');
    await expect(rates.locator('g[data-test="core.created-at-iso"] text.value').textContent()).resolves.toBe(`${Math.round((1 / 55) * 1000) / 10}%`);
    await expect(rates.locator('g[data-test="core.create"]').getAttribute('data-uniform')).resolves.toBeNull();
    // The table behind the chart, with the same marks.
    await expect(page.locator('[data-testid=tests-table] tr[data-test="core.health"]').textContent()).resolves.toContain('55 / 55');
    await expect(page.locator('[data-testid=tests-table] tr[data-test="core.health"] .badge').textContent()).resolves.toBe('nobody fails');
    await expect(page.locator('[data-testid=flags-table]').textContent()).resolves.toMatch(/output_limit.*1.*1\.8%/s);

    await Promise.all([page.waitForURL(`${base}/ui/challenges/simple-api/stats?version=1.1.0`), page.click('[data-testid=versions] a:text("1.1.0")')]);
    await expect(page.locator('[data-testid=count]').textContent()).resolves.toBe('1');
    const uniform = page.locator('svg[data-testid=pass-rates] g[data-uniform="all_failed"]');
    await expect(uniform.count()).resolves.toBe(3);
    await page.context().close();
  });

  it('answers a bad version with a 400 page', async () => {
    const page = await loggedIn();
    const res = await page.goto(`${base}/ui/challenges/simple-api/stats?version=newest`);
    expect(res?.status()).toBe(400);
    await expect(page.locator('main').textContent()).resolves.toContain('version: a version such as 1.2.0');
    await page.context().close();
  });
});

describe('dashboard', () => {
  it('shows score, flags, review and a pager; pages keep the filters; the hostile name is inert', async () => {
    const page = await loggedIn();
    await page.goto(`${base}/ui/challenges/simple-api`);
    await expect(page.locator('[data-testid=matching]').textContent()).resolves.toBe(String(BULK + 2));
    await expect(page.locator('tbody tr').count()).resolves.toBe(50);
    const first = page.locator('tbody tr').first();
    await expect(first.locator('td:nth-child(2)').textContent()).resolves.toBe(HOSTILE);
    await expect(first.locator('[data-col=flags]').textContent()).resolves.toContain('output_limit');
    await expect(first.locator('[data-col=review]').textContent()).resolves.toBe('none');
    await expect(page.locator('img').count()).resolves.toBe(0);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    await expect(page.locator('[data-testid=pager]').textContent()).resolves.toContain('page 1 of 2');

    // The report page shows where the score stands in its version: 100% is above 53 of the 54 graded at 1.0.0.
    const reportHref = (await first.locator('a:text("report")').getAttribute('href'))!;
    await Promise.all([page.waitForURL(`${base}${reportHref}`), first.locator('a:text("report")').click()]);
    await expect(page.locator('[data-testid=percentile]').textContent()).resolves.toBe('99.1');
    await expect(page.locator('main').textContent()).resolves.toContain('among 54 graded submissions of v1.0.0');
    await page.goto(`${base}/ui/challenges/simple-api`);

    await page.selectOption('#f-order', 'asc');
    await Promise.all([page.waitForURL(/order=asc/), page.click('[data-testid=filters] button')]);
    await expect(page.locator('tbody tr').first().locator('[data-col=score]').textContent()).resolves.toContain('21.4%');
    await Promise.all([page.waitForURL(/page=2/), page.click('a[rel=next]')]);
    const url = new URL(page.url());
    expect(Object.fromEntries(url.searchParams)).toEqual({ order: 'asc', page: '2' });
    await expect(page.locator('tbody tr').count()).resolves.toBe(BULK + 2 - 50);
    await expect(page.locator('tbody tr').last().locator('td:nth-child(2)').textContent()).resolves.toBe(HOSTILE);
    await expect(page.locator('tbody tr').first().locator('td:first-child').textContent()).resolves.toBe('51');
    await expect(page.locator('#f-order').inputValue()).resolves.toBe('asc');
    await page.context().close();
  });

  it('filters by flag, searches by candidate, sorts by a column header; a bad query is a 400 page', async () => {
    const page = await loggedIn();
    await page.goto(`${base}/ui/challenges/simple-api`);
    await page.selectOption('#f-flag', 'files_dropped');
    await Promise.all([page.waitForURL(/flag=files_dropped/), page.click('[data-testid=filters] button')]);
    await expect(rowNames(page)).resolves.toEqual(['Bob Builder']);
    await expect(page.locator('[data-testid=pager]').textContent()).resolves.toContain('page 1 of 1');
    // The export link carries the same filters and opens with the UI session.
    const csvHref = await page.locator('a:text("CSV")').getAttribute('href');
    expect(csvHref).toBe('/v1/challenges/simple-api/submissions.csv?flag=files_dropped');
    const csv = await page.request.get(`${base}${csvHref}`);
    expect(csv.status()).toBe(200);
    expect(csv.headers()['content-disposition']).toMatch(/^attachment; filename="simple-api-submissions-/);
    const lines = (await csv.text()).trimEnd().split('\r\n');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain('Bob Builder');

    await page.goto(`${base}/ui/challenges/simple-api`);
    await page.fill('#f-q', 'BOB@EXAMPLE');
    await Promise.all([page.waitForURL(/q=BOB/), page.click('[data-testid=filters] button')]);
    await expect(rowNames(page)).resolves.toEqual(['Bob Builder']);

    await page.goto(`${base}/ui/challenges/simple-api?q=bulk%200`);
    await expect(rowNames(page)).resolves.toHaveLength(9);
    // The Submitted header sorts newest first, then flips to oldest first; the search is kept.
    await Promise.all([page.waitForURL(/sort=created/), page.click('th a:text("Submitted")')]);
    const times = async () => (await rowNames(page)).map((n) => createdAt.get(n) as number);
    const newestFirst = await times();
    expect(newestFirst).toHaveLength(9);
    expect(newestFirst).toEqual([...newestFirst].sort((a, b) => b - a));
    await Promise.all([page.waitForURL(/order=asc/), page.click('th a:text("Submitted")')]);
    const oldestFirst = await times();
    expect(oldestFirst).toEqual([...oldestFirst].sort((a, b) => a - b));
    expect(oldestFirst[0]).toBeLessThan(newestFirst[0]!);
    expect(new URL(page.url()).searchParams.get('q')).toBe('bulk 0');

    // A submitted review: its status, reviewer, rubric score and weighted total; the reviewed filter and the rubric sort.
    const review = await fetch(`${base}/v1/submissions/${bobId}/review`, { method: 'PUT', headers: { Authorization: `Bearer ${REVIEWER}`, 'Content-Type': 'application/json' }, body: JSON.stringify(fullReview({ structure: 5, errors: 5, tests: 5, readme: 3 })) });
    expect(review.status).toBe(201);
    await page.goto(`${base}/ui/challenges/simple-api?reviewed=yes`);
    await expect(rowNames(page)).resolves.toEqual(['Bob Builder']);
    const bob = page.locator('tbody tr').first();
    await expect(bob.locator('[data-col=review]').textContent()).resolves.toBe('submitted rita');
    await expect(bob.locator('[data-col=rubric]').textContent()).resolves.toBe('100%');
    await expect(bob.locator('[data-col=total]').textContent()).resolves.toBe('60%');
    await page.goto(`${base}/ui/challenges/simple-api?sort=rubric`);
    await expect(page.locator('tbody tr').first().locator('td:nth-child(2)').textContent()).resolves.toBe('Bob Builder');
    await page.goto(`${base}/ui/challenges/simple-api?reviewed=no`);
    await expect(page.locator('[data-testid=matching]').textContent()).resolves.toBe(String(BULK + 1));

    const bad = await page.goto(`${base}/ui/challenges/simple-api?sort=name`);
    expect(bad?.status()).toBe(400);
    await expect(page.locator('main').textContent()).resolves.toContain('sort');
    const worse = await page.goto(`${base}/ui/challenges/simple-api?page=0`);
    expect(worse?.status()).toBe(400);
    await page.context().close();
  });
});
