/**
 * The candidate's page in headless Chromium (playwright-core with Debian's chromium), opened as a
 * candidate opens it (the link with #token=): the hint of a visible test that failed, "attempt n
 * of max", and the tail of a service that failed to start, with hostile text (a hint with an
 * onerror handler, a <script> and terminal escapes in the output) rendered inert and secrets
 * hidden. API on 127.0.0.1 with a real Redis; the submissions are made through the API.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../runner/report/schema.ts';
import { fixtureReport, XSS } from '../runner/devtools/ui-fixture.ts';
import { useUiServer } from './support/ui-browser.ts';
import { feedbackChallenges, finishWith, HIDDEN_HINT, HOSTILE_HINT, type FeedbackChallenges } from './support/feedback-challenges.ts';

const ADMIN = 'ui-feedback-admin-key-0123456789';
const SECRET = 'sk_live_51HxTotallySecretValue';

let challenges: FeedbackChallenges;

// Registered before the UI server: the challenges are made before it starts and removed after it closes.
beforeAll(async () => {
  challenges = await feedbackChallenges({ hostile: { attempts: { max: 3 }, createHint: HOSTILE_HINT } });
});

afterAll(async () => {
  await challenges?.close();
});

const ui = useUiServer(() => ({ ASSAY_API_KEYS: `ops:admin:${ADMIN}`, ASSAY_CHALLENGES_DIR: challenges.dir }));

/** A submission made through the API, then ended with the report `edit` makes of the fixture's. */
async function submitted(email: string, edit: (r: Report) => Report = (r) => r): Promise<{ id: string; token: string }> {
  const res = await fetch(`${ui.base}/v1/submissions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ challenge: 'hostile', repoUrl: 'https://93.184.215.14/acme/solution.git', candidate: { email } }),
  });
  expect(res.status).toBe(202);
  const { id, accessToken } = (await res.json()) as { id: string; accessToken: string };
  await finishWith(ui.server.api.store, id, edit(fixtureReport(id, { challenge: 'hostile', percent: 40 })));
  return { id, token: accessToken };
}

/** Opens the candidate's link in a fresh context; returns the page once the results are in. */
async function openAsCandidate(id: string, token: string): Promise<{ page: Page; close: () => Promise<void> }> {
  const context = await ui.browser.newContext();
  const page = await context.newPage();
  await page.goto(`${ui.base}/v1/submissions/${id}/report.html#token=${token}`);
  await page.locator('h2', { hasText: 'Tests you can see' }).waitFor();
  return { page, close: () => context.close() };
}

describe('the candidate page', () => {
  it('shows the hint of the visible test that failed as inert text, no hidden hint, and the attempt out of the maximum', async () => {
    const { id, token } = await submitted('mallory@example.com');
    const { page, close } = await openAsCandidate(id, token);
    const failed = page.locator('tr[data-test="core.create"]');
    await expect(failed.locator('.badge').textContent()).resolves.toBe('failed');
    await expect(failed.locator('.hint').textContent()).resolves.toBe(`Hint: ${HOSTILE_HINT}`);
    await expect(failed.locator('img').count()).resolves.toBe(0);
    await expect(page.locator('tr[data-test="core.health"] .hint').count()).resolves.toBe(0); // passed: no hint
    await expect(page.locator('tr[data-test="core.created-at-iso"]').count()).resolves.toBe(0);
    await expect(page.locator('main').textContent()).resolves.not.toContain(HIDDEN_HINT);
    await expect(page.locator('[data-testid="attempt"]').textContent()).resolves.toBe('1 of 3');
    await expect(page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).resolves.toBeUndefined();
    await close();
  });

  it("shows the end of a failed start's output: redacted, without terminal escapes, hostile text inert", async () => {
    const log = `${'loading config\n'.repeat(400)}STRIPE_SECRET_KEY=${SECRET}\n\u001b[31mError:\u001b[0m cannot listen ${XSS}\n`;
    const { id, token } = await submitted('eve@example.com', (r) => ({
      ...r,
      tests: r.tests.map((t) => ({ ...t, status: 'skipped', points: 0 })),
      steps: r.steps.map((s) => (s.name === 'start' ? { ...s, status: 'failed', reason: 'the service exited with code 1 before accepting connections', log: { text: log, totalBytes: log.length, cutBytes: 0 } } : s.name === 'test' ? { ...s, status: 'skipped' } : s)),
    }));
    const { page, close } = await openAsCandidate(id, token);
    const start = page.locator('li[data-step="start"]');
    await expect(start.textContent()).resolves.toContain('the service exited with code 1 before accepting connections');
    const tail = (await start.locator('pre.log-tail').textContent()) ?? '';
    expect(tail).toContain(`Error: cannot listen ${XSS}`);
    expect(tail).toContain('STRIPE_SECRET_KEY=[redacted]');
    expect(tail).not.toContain(SECRET);
    expect(tail).not.toContain('\u001b');
    expect(tail.length).toBeLessThanOrEqual(4002);
    await expect(page.locator('tr .hint').count()).resolves.toBe(0); // skipped tests get no hints
    await expect(page.locator('[data-testid="attempt"]').textContent()).resolves.toBe('1 of 3');
    await expect(page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).resolves.toBeUndefined();
    await close();
  });
});
