/**
 * Insights where they show: the reviewer's Insights panel in headless Chromium (SVG bars, top
 * findings linked to their line in the diff view, hostile candidate text inert), the report API
 * (reviewers get `insights`; candidates only what the challenge shows them, nothing by default),
 * the candidate's page, the webhook body, and a v1 report stored before insights existed. The
 * app listens on 127.0.0.1 with a real Redis; reports are stored as the worker stores them.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { Page } from 'playwright-core';
import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ApiProcess } from '../api/wire.ts';
import { fixtureInsights } from '../runner/devtools/insights-fixture.ts';
import { fixtureReport, XSS } from '../runner/devtools/ui-fixture.ts';
import type { Insights } from '../runner/report/insights.ts';
import { ReportSchema, type Report } from '../runner/report/schema.ts';
import { newSubmissionRecord, type SubmissionRecord } from '../runner/store/submissions.ts';
import { webhookPayload } from '../runner/webhooks/deliver.ts';
import { useUiServer } from './support/ui-browser.ts';

const REVIEWER = 'insights-reviewer-key-0123456789';

const ui = useUiServer({ ASSAY_API_KEYS: `rita:reviewer:${REVIEWER}` });
let api: ApiProcess;

beforeAll(() => {
  ({ api } = ui.server);
});

/** A completed submission whose report carries `insights` (or is a v1 report without them), stored as the worker stores it. */
async function seed(report: (id: string) => Report | Record<string, unknown>): Promise<{ record: SubmissionRecord; token: string; report: Report }> {
  const token = randomBytes(32).toString('base64url');
  const id = randomUUID();
  const record = newSubmissionRecord({ challenge: 'debug-app', repoUrl: 'https://93.184.215.14/acme/solution.git', ref: 'main', candidate: { name: 'Ines Insight' }, accessToken: token }, id);
  await api.store.create(record);
  const stored = report(id) as Report;
  await api.store.saveReport(id, 1, stored);
  const final = await api.store.lifecycle.complete(id, 1, stored);
  if (!final.ok) throw new Error(final.reason);
  return { record: final.record, token, report: stored };
}

const withInsights = (insights: Insights) => (id: string): Report => ({ ...fixtureReport(id, { challenge: 'debug-app', percent: 90 }), insights });

async function login(page: Page): Promise<void> {
  await page.goto(`${ui.base}/ui/login`);
  await page.fill('#key', REVIEWER);
  await Promise.all([page.waitForURL(`${ui.base}/ui`), page.click('button[type=submit]')]);
}

const pwned = (page: Page) => page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned);

describe('the reviewer page', () => {
  it('shows the Insights panel: severity bars in SVG, findings linked to their line in the diff, hygiene, size, notes; candidate text inert', async () => {
    const { record } = await seed(withInsights(fixtureInsights({ hostile: true })));
    const context = await ui.browser.newContext();
    const page = await context.newPage();
    await login(page);
    await page.goto(`${ui.base}/ui/submissions/${record.id}`);
    const panel = page.locator('[data-testid=insights]');
    await expect(panel.locator('h2').textContent()).resolves.toContain('Insights');

    // Lint: per 1,000 lines, and the bars: errors and warnings, widths proportional to the counts.
    await expect(panel.locator('[data-testid=lint-per-1000]').textContent()).resolves.toBe('12.1');
    const errors = panel.locator('svg.bars g[data-bar=errors] rect');
    const warnings = panel.locator('svg.bars g[data-bar=warnings] rect');
    const [errorWidth, warningWidth] = [Number(await errors.getAttribute('width')), Number(await warnings.getAttribute('width'))];
    expect(warningWidth).toBeGreaterThan(errorWidth);
    expect(errorWidth / warningWidth).toBeCloseTo(2 / 3, 1);
    await expect(panel.locator('svg.bars g[data-bar=eqeqeq]').count()).resolves.toBe(1);

    // A finding on a changed line links to that line of the diff view; following it scrolls there.
    const link = panel.locator('[data-testid=lint-findings] a[href="#d0-L105"]');
    await expect(link.textContent()).resolves.toBe('src/app.js:105');
    await link.click();
    expect(new URL(page.url()).hash).toBe('#d0-L105');
    const target = page.locator('[id="d0-L105"]');
    await expect(target.textContent()).resolves.toContain('if (order == null)');
    await expect(target.evaluate((el) => el.matches(':target'))).resolves.toBe(true);
    expect(await target.isVisible()).toBe(true);
    // One on a line the diff does not show links to its file's diff; one in a file the diff does not touch, nowhere.
    await expect(panel.locator('[data-testid=lint-findings] a[href="#d0"]').count()).resolves.toBe(2);
    await expect(panel.locator('[data-testid=lint-findings] tr', { hasText: 'src/orders.js:14' }).locator('a').count()).resolves.toBe(0);

    // Diff, hygiene and size.
    await expect(panel.locator('[data-testid=diff-summary]').textContent()).resolves.toBe('3 files changed, +5 −1');
    await expect(panel.locator('details[data-diff-file] .add').count()).resolves.toBe(5);
    await expect(panel.locator('details[data-diff-file] .del').count()).resolves.toBe(1);
    await expect(panel.locator('[data-committed=env_file]').textContent()).resolves.toContain('.env');
    await expect(panel.locator('[data-testid=secrets]').textContent()).resolves.toContain('AKIA******** (20 chars)');
    await expect(panel.locator('[data-insight=size]').textContent()).resolves.toContain('handle');
    await expect(panel.locator('[data-testid=insight-notes]').textContent()).resolves.toContain('lint partial');

    // Hostile text from the candidate's files (a lint message, a file name, the diff) is text.
    const body = (await panel.textContent()) ?? '';
    expect(body).toContain(`never used. ${XSS}`);
    expect(body).toContain(`// the order total ${XSS}`);
    expect(body).toContain('test/regressions<script>.test.js');
    await expect(page.locator('script').count()).resolves.toBe(0);
    expect(await pwned(page)).toBeUndefined();
    await context.close();
  });

  it('shows the candidate’s own tests, the bugs they catch and the commit timeline in SVG; candidate text inert', async () => {
    const { record } = await seed(withInsights(fixtureInsights({ hostile: true })));
    const page = await ui.browser.newPage();
    await login(page);
    await page.goto(`${ui.base}/ui/submissions/${record.id}`);
    const own = page.locator('[data-insight=ownTests]');
    await expect(own.locator('[data-testid=own-tests-summary]').textContent()).resolves.toMatch(/passed 11 passed, 0 failed, 0 skipped of 11 · 2\.1 s · node --test test\/\*\.test\.js/);
    await expect(own.locator('[data-testid=own-coverage]').textContent()).resolves.toBe('Coverage: lines 89.03% · branches 70.45% · functions 86% (Node.js)');
    await expect(own.locator('[data-testid=bugs-caught-count]').textContent()).resolves.toBe('5 of 6');
    await expect(own.locator('tr[data-mutant]').count()).resolves.toBe(6);
    await expect(own.locator('tr[data-mutant=oversell-race] .badge').textContent()).resolves.toBe('missed');
    await expect(own.locator('tr[data-mutant=float-cents]').textContent()).resolves.toContain(`1 test failed: decimal prices convert to exact cents ${XSS}`);

    const history = page.locator('[data-insight=history]');
    await expect(history.locator('[data-testid=history-summary]').textContent()).resolves.toBe(
      '4 commits · 2 authors · 3 active days · 2 commits touching tests · the largest commit has 86% of the changed lines · +612 −9',
    );
    // One dot per commit, left to right in time, the larger commit the larger dot, test commits green.
    const dots = history.locator('[data-testid=history-timeline] circle');
    await expect(dots.count()).resolves.toBe(4);
    const dot = async (n: number) => ({ cx: Number(await dots.nth(n).getAttribute('cx')), r: Number(await dots.nth(n).getAttribute('r')), fill: await dots.nth(n).getAttribute('fill') });
    const [newest, tests, , first] = [await dot(0), await dot(1), await dot(2), await dot(3)];
    expect(first.cx).toBeLessThan(tests.cx);
    expect(tests.cx).toBeLessThan(newest.cx);
    expect(first.r).toBeGreaterThan(newest.r);
    expect(tests.fill).toBe('#1a7f37');
    expect(newest.fill).toBe('#0969da');
    await expect(dots.nth(1).locator('title').textContent()).resolves.toContain(`Ada Lovelace ${XSS} · Add regression tests ${XSS}`);
    await expect(history.locator('[data-testid=history-commits] tbody tr').count()).resolves.toBe(4);
    await expect(history.locator('[data-testid=history-commits] tbody tr').nth(1).textContent()).resolves.toContain(`Ada Lovelace ${XSS}`);

    await expect(page.locator('script').count()).resolves.toBe(0);
    expect(await pwned(page)).toBeUndefined();
    await page.close();
  });

  it('says why there is no history, and shows own tests that could not be judged', async () => {
    const insights = fixtureInsights({ hostile: false });
    insights.history = { status: 'none', reason: 'graded from a local folder: no history', commits: 0, maxCommits: 200, truncated: false, activeDays: 0, authors: 0, testCommits: 0, linesAdded: 0, linesRemoved: 0, timeline: [] };
    insights.ownTests = { status: 'error', reason: 'the test command was stopped at its time limit of 60000 ms', command: 'npm test', verdict: 'timeout', durationMs: 60_012 };
    const { record } = await seed(withInsights(insights));
    const page = await ui.browser.newPage();
    await login(page);
    await page.goto(`${ui.base}/ui/submissions/${record.id}`);
    await expect(page.locator('[data-testid=history-none]').textContent()).resolves.toBe('No history: graded from a local folder: no history');
    await expect(page.locator('[data-testid=history-timeline]').count()).resolves.toBe(0);
    await expect(page.locator('[data-testid=own-tests-summary]').textContent()).resolves.toBe('error 60.0 s · npm test · the test command was stopped at its time limit of 60000 ms');
    await expect(page.locator('[data-testid=bugs-caught]').count()).resolves.toBe(0);
    await page.close();
  });

  it('a v1 report stored before insights existed still renders, parses and reaches candidates', async () => {
    const { record, token } = await seed((id) => {
      const v1: Record<string, unknown> = { ...fixtureReport(id, { challenge: 'debug-app', percent: 90, hostile: false }), schemaVersion: 1 };
      delete v1.insights;
      return v1;
    });
    const stored = await api.store.getReport(record.id);
    expect(ReportSchema.parse(stored).schemaVersion).toBe(1);
    const page = await ui.browser.newPage();
    await login(page);
    await page.goto(`${ui.base}/ui/submissions/${record.id}`);
    await expect(page.locator('[data-testid=score]').count()).resolves.toBe(1);
    await expect(page.locator('[data-testid=insights]').count()).resolves.toBe(0);
    await page.close();
    const candidate = await request(api.app).get(`/v1/submissions/${record.id}/report`).set('authorization', `Bearer ${token}`);
    expect(candidate.status).toBe(200);
    expect(candidate.body).toMatchObject({ schemaVersion: 1 });
    expect(candidate.body.insights).toBeUndefined();
  });
});

describe('the API, the candidate view and webhooks', () => {
  it('reviewers get the insights as stored; candidates get none by default', async () => {
    const { record, token, report } = await seed(withInsights(fixtureInsights({ hostile: false })));
    const reviewer = await request(api.app).get(`/v1/submissions/${record.id}/report`).set('authorization', `Bearer ${REVIEWER}`);
    expect(reviewer.status).toBe(200);
    expect(reviewer.body.schemaVersion).toBe(2);
    expect(reviewer.body.insights).toEqual(report.insights);
    const candidate = await request(api.app).get(`/v1/submissions/${record.id}/report`).set('authorization', `Bearer ${token}`);
    expect(candidate.status).toBe(200);
    expect(candidate.body.insights).toBeUndefined();
    expect(JSON.stringify(candidate.body)).not.toContain('AKIA');
    expect(JSON.stringify(candidate.body)).not.toContain('Lovelace'); // commit authors stay with reviewers
    expect(JSON.stringify(candidate.body)).not.toContain('oversell'); // and so do the planted bugs
    // The webhook body carries the same JSON as the reviewer's report.
    expect(JSON.parse(JSON.stringify(webhookPayload(record, ui.base, report))).insights).toEqual(reviewer.body.insights);
  });

  it('with the challenge showing own tests to candidates: their JSON and page carry the summary, never the bugs caught or the output', async () => {
    const { record, token, report } = await seed(withInsights({ ...fixtureInsights({ hostile: true }), shownToCandidates: ['ownTests'] }));
    const candidate = await request(api.app).get(`/v1/submissions/${record.id}/report`).set('authorization', `Bearer ${token}`);
    expect(candidate.status).toBe(200);
    const own = report.insights!.ownTests!;
    expect(candidate.body.insights).toEqual({
      ownTests: { status: own.status, command: own.command, runner: own.runner, passed: 11, failed: 0, skipped: 0, total: 11, durationMs: own.durationMs, coverage: own.coverage },
    });
    const json = JSON.stringify(candidate.body);
    for (const hidden of ['oversell', 'bugsCaught', 'TAP version', 'Lovelace', 'AKIA']) expect(json).not.toContain(hidden);

    const page = await ui.browser.newPage();
    await page.goto(`${ui.base}/v1/submissions/${record.id}/report.html#token=${token}`);
    const section = page.locator('[data-testid=candidate-own-tests]');
    await section.waitFor();
    await expect(section.locator('[data-testid=own-tests-summary]').textContent()).resolves.toContain('11 passed, 0 failed, 0 skipped of 11');
    await expect(section.locator('[data-testid=own-coverage]').textContent()).resolves.toContain('lines 89.03%');
    await expect(page.locator('[data-testid=bugs-caught]').count()).resolves.toBe(0);
    await expect(page.locator('[data-testid=candidate-insights]').count()).resolves.toBe(0); // lint is not shown
    await page.close();
  });

  it('with the challenge showing lint to candidates: their JSON and their page carry the lint summary, and nothing else of the insights', async () => {
    const { record, token, report } = await seed(withInsights(fixtureInsights({ hostile: true, showCandidates: true })));
    const candidate = await request(api.app).get(`/v1/submissions/${record.id}/report`).set('authorization', `Bearer ${token}`);
    expect(candidate.status).toBe(200);
    expect(candidate.body.insights).toEqual({ lint: report.insights!.lint });
    expect(JSON.stringify(candidate.body)).not.toContain('AKIA'); // hygiene stays with reviewers
    expect(JSON.stringify(candidate.body)).not.toContain('toCents'); // and so does the diff

    const page = await ui.browser.newPage();
    await page.goto(`${ui.base}/v1/submissions/${record.id}/report.html#token=${token}`);
    const section = page.locator('[data-testid=candidate-insights]');
    await section.waitFor();
    await expect(section.locator('[data-testid=lint-per-1000]').textContent()).resolves.toBe('12.1');
    await expect(section.locator('svg.bars g[data-bar=errors]').count()).resolves.toBe(1);
    await expect(section.locator('a').count()).resolves.toBe(0); // no diff view to link to
    await expect(section.textContent()).resolves.toContain(`never used. ${XSS}`);
    await expect(page.locator('[data-testid=insights]').count()).resolves.toBe(0);
    expect(await pwned(page)).toBeUndefined();
    await page.close();
  });
});
