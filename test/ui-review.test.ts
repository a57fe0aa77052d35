/**
 * The review form of the reviewer's report page in headless Chromium (playwright-core with
 * Debian's chromium), against the API listening on 127.0.0.1 with a real Redis: writing a review
 * and seeing the three scores, CSRF refusal, a stale form answered with the conflict page (nothing
 * lost, nothing overwritten), hostile notes and names rendered inert, and anonymous review.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SubmissionStore } from '../runner/store/submissions.ts';
import { seedSubmission } from '../runner/devtools/ui-fixture.ts';
import { reviewChallenges, type ReviewChallenges } from './support/review-challenges.ts';
import { uiLogin, useUiServer } from './support/ui-browser.ts';

const KEYS = { admin: 'ui-admin-key-0123456789abcdef', rita: 'ui-reviewer-rita-0123456789', remy: 'ui-reviewer-remy-0123456789' };
const HOSTILE_NOTE = '</textarea><script>window.__pwned=5</script><img src=x onerror="window.__pwned=6">';
const HOSTILE_NAME = '<img src=x onerror="window.__pwned=7">Mallory Anon';

let challenges: ReviewChallenges;
let store: SubmissionStore;

// Registered before the UI server: the challenges are made before it starts and removed after it closes.
beforeAll(async () => {
  challenges = await reviewChallenges();
});

afterAll(async () => {
  await challenges?.close();
});

const ui = useUiServer(() => ({ ASSAY_API_KEYS: `ada:admin:${KEYS.admin},rita:reviewer:${KEYS.rita},remy:reviewer:${KEYS.remy}`, ASSAY_CHALLENGES_DIR: challenges.dir }));

beforeAll(() => {
  store = ui.server.api.store;
});

const loggedIn = (key: string) => uiLogin(ui.browser, ui.base, key);

/** Fills the simple-api rubric's four scores (and a note on the first criterion). */
async function fillScores(page: Page, points: [number, number, number, number], note?: string): Promise<void> {
  const ids = ['code-structure', 'error-handling', 'tests', 'readme'];
  for (const [i, id] of ids.entries()) await page.fill(`input[name="points.${id}"]`, String(points[i]));
  if (note !== undefined) await page.fill('textarea[name="note.code-structure"]', note);
}

const pwned = (page: Page) => page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned);

describe('review form', () => {
  it('writes a review and shows the automated score, the rubric score and the weighted total; hostile notes stay text', async () => {
    const { record } = await seedSubmission(store, { candidate: { name: 'Grace' }, percent: 40, hostile: false });
    const { context, page } = await loggedIn(KEYS.rita);
    await page.goto(`${ui.base}/ui/submissions/${record.id}`);
    await expect(page.locator('[data-testid=automated-score]').textContent()).resolves.toBe('42.9%');
    await expect(page.locator('[data-testid=rubric-score]').textContent()).resolves.toContain('not reviewed');
    await expect(page.locator('[data-testid=review-form] tr[data-criterion]').count()).resolves.toBe(4);

    await fillScores(page, [4, 3, 2, 3], HOSTILE_NOTE);
    await page.fill('#review-note', `overall ${HOSTILE_NOTE}`);
    await Promise.all([page.waitForURL(`${ui.base}/ui/submissions/${record.id}#review`), page.click('button[name=status][value=submitted]')]);

    // 12/18 = 66.7%; 42.9 × 0.7 + 66.7 × 0.3 = 50.
    await expect(page.locator('[data-testid=rubric-score]').textContent()).resolves.toContain('66.7%');
    await expect(page.locator('[data-testid=total-score]').textContent()).resolves.toBe('50%');
    await expect(page.locator('[data-testid=review-status]').textContent()).resolves.toMatch(/submitted\s+version 1 by rita \(reviewer\)/);
    // The stored notes come back as the textareas' text, literally, and nothing ran.
    await expect(page.locator('textarea[name="note.code-structure"]').inputValue()).resolves.toBe(HOSTILE_NOTE);
    await expect(page.locator('#review-note').inputValue()).resolves.toBe(`overall ${HOSTILE_NOTE}`);
    await expect(page.locator('[data-testid=review] img, [data-testid=review] script').count()).resolves.toBe(0);
    expect(await pwned(page)).toBeUndefined();
    await expect(page.locator('input[name=version]').inputValue()).resolves.toBe('1');

    const stored = await store.reviews.current(record.id);
    expect(stored).toMatchObject({ version: 1, status: 'submitted', reviewer: 'rita', note: `overall ${HOSTILE_NOTE}` });
    expect(stored?.criteria.map((c) => c.points)).toEqual([4, 3, 2, 3]);

    // A draft keeps the status a draft, as a new version.
    await fillScores(page, [5, 3, 2, 3]);
    await Promise.all([page.waitForURL(`${ui.base}/ui/submissions/${record.id}#review`), page.click('button[name=status][value=draft]')]);
    await expect(page.locator('[data-testid=review-status]').textContent()).resolves.toMatch(/draft\s+version 2/);
    await expect(page.locator('[data-testid=review-versions] summary').textContent()).resolves.toBe('2 versions');
    await context.close();
  });

  it('refuses a post without the session CSRF token (403) and saves nothing', async () => {
    const { record } = await seedSubmission(store, { hostile: false });
    const { context, page } = await loggedIn(KEYS.rita);
    await page.goto(`${ui.base}/ui/submissions/${record.id}`);
    const form = { 'points.code-structure': '1', 'points.error-handling': '1', 'points.tests': '1', 'points.readme': '1', status: 'submitted', version: '' };
    const missing = await page.request.post(`${ui.base}/ui/submissions/${record.id}/review`, { form, maxRedirects: 0 });
    expect(missing.status()).toBe(403);
    const forged = await page.request.post(`${ui.base}/ui/submissions/${record.id}/review`, { form: { ...form, csrf: 'forged' }, maxRedirects: 0 });
    expect(forged.status()).toBe(403);
    expect(await forged.text()).toContain('did not come from this site');
    // Without the session cookie at all: not logged in.
    const anonymous = await ui.browser.newContext();
    const outsider = await anonymous.request.post(`${ui.base}/ui/submissions/${record.id}/review`, { form, maxRedirects: 0 });
    expect(outsider.status()).toBe(401);
    await anonymous.close();
    expect(await store.reviews.versions(record.id)).toEqual([]);
    // The real token works.
    const csrf = await page.locator('[data-testid=review-form] input[name=csrf]').inputValue();
    const real = await page.request.post(`${ui.base}/ui/submissions/${record.id}/review`, { form: { ...form, csrf }, maxRedirects: 0 });
    expect(real.status()).toBe(303);
    expect(await store.reviews.versions(record.id)).toHaveLength(1);
    await context.close();
  });

  it('answers a stale form with the conflict page: the other version shown, nothing overwritten, nothing typed lost', async () => {
    const { record } = await seedSubmission(store, { hostile: false });
    const rita = await loggedIn(KEYS.rita);
    const remy = await loggedIn(KEYS.remy);
    await rita.page.goto(`${ui.base}/ui/submissions/${record.id}`);
    await remy.page.goto(`${ui.base}/ui/submissions/${record.id}`);

    await fillScores(remy.page, [5, 5, 5, 3]);
    await remy.page.fill('#review-note', 'remy was here first');
    await Promise.all([remy.page.waitForURL(`${ui.base}/ui/submissions/${record.id}#review`), remy.page.click('button[name=status][value=submitted]')]);

    await fillScores(rita.page, [1, 1, 1, 1]);
    await rita.page.fill('#review-note', 'rita typed this carefully');
    const [answer] = await Promise.all([rita.page.waitForResponse((r) => r.url().endsWith(`/ui/submissions/${record.id}/review`)), rita.page.click('button[name=status][value=submitted]')]);
    expect(answer.status()).toBe(409);
    await expect(rita.page.locator('h1').textContent()).resolves.toBe('Someone else reviewed this meanwhile');
    await expect(rita.page.locator('[role=alert]').textContent()).resolves.toMatch(/not saved.*version 1 was saved by remy/s);
    await expect(rita.page.locator('[data-testid=current-note]').textContent()).resolves.toBe('remy was here first');
    await expect(rita.page.locator('#review-note').inputValue()).resolves.toBe('rita typed this carefully');
    await expect(rita.page.locator('input[name="points.readme"]').inputValue()).resolves.toBe('1');
    expect((await store.reviews.versions(record.id)).map((v) => v.reviewer)).toEqual(['remy']);

    // Saving from the conflict page is deliberate: it becomes version 2, remy's stays in the history.
    await Promise.all([rita.page.waitForURL(`${ui.base}/ui/submissions/${record.id}#review`), rita.page.click('button[name=status][value=submitted]')]);
    expect((await store.reviews.versions(record.id)).map((v) => [v.version, v.reviewer, v.note])).toEqual([
      [1, 'remy', 'remy was here first'],
      [2, 'rita', 'rita typed this carefully'],
    ]);
    await rita.context.close();
    await remy.context.close();
  });
});

describe('a form the server refuses', () => {
  it('gives back what was typed, with the reason, and saves nothing', async () => {
    const { record } = await seedSubmission(store, { hostile: false });
    const { context, page } = await loggedIn(KEYS.rita);
    await page.goto(`${ui.base}/ui/submissions/${record.id}`);
    await fillScores(page, [4, 4, 4, 3], 'kept through the refusal');
    // Around the ui.browser's own check (max="3"), as a hand-edited form would be.
    await page.evaluate(() => document.querySelector('input[name="points.readme"]')?.removeAttribute('max'));
    await page.fill('input[name="points.readme"]', '9');
    const [answer] = await Promise.all([page.waitForResponse((r) => r.url().endsWith(`/ui/submissions/${record.id}/review`)), page.click('button[name=status][value=submitted]')]);
    expect(answer.status()).toBe(400);
    await expect(page.locator('[role=alert]').textContent()).resolves.toMatch(/not saved.*at most 3 points/s);
    await expect(page.locator('textarea[name="note.code-structure"]').inputValue()).resolves.toBe('kept through the refusal');
    await expect(page.locator('input[name="points.readme"]').inputValue()).resolves.toBe('9');
    expect(await store.reviews.versions(record.id)).toEqual([]);
    await context.close();
  });
});

describe('anonymous review in the UI', () => {
  it('hides the candidate and repository from a reviewer until they submit; admins see them; the revealed name is inert', async () => {
    const { record, report } = await seedSubmission(store, { challenge: 'anon-api', candidate: { name: HOSTILE_NAME, email: 'mallory@example.com' }, hostile: false });
    const { context, page } = await loggedIn(KEYS.rita);
    await page.goto(`${ui.base}/ui/submissions/${record.id}`);
    const hidden = (await page.locator('main').textContent()) ?? '';
    for (const secret of ['Mallory', 'mallory@example.com', '93.184.215.14', report!.commit!]) expect(hidden).not.toContain(secret);
    await expect(page.locator('[data-testid=anonymous-notice]').textContent()).resolves.toContain('until you submit your review');

    await fillScores(page, [3, 3, 3, 3]);
    await Promise.all([page.waitForURL(`${ui.base}/ui/submissions/${record.id}#review`), page.click('button[name=status][value=submitted]')]);
    const shown = (await page.locator('main').textContent()) ?? '';
    expect(shown).toContain(HOSTILE_NAME);
    expect(shown).toContain('93.184.215.14/acme/solution.git');
    await expect(page.locator('[data-testid=anonymous-notice]').count()).resolves.toBe(0);
    await expect(page.locator('img').count()).resolves.toBe(0);
    expect(await pwned(page)).toBeUndefined();
    await context.close();

    // Another reviewer still sees nothing; an admin sees everything at once.
    const remy = await loggedIn(KEYS.remy);
    await remy.page.goto(`${ui.base}/ui/submissions/${record.id}`);
    expect(await remy.page.locator('main').textContent()).not.toContain('Mallory');
    await remy.context.close();
    const admin = await loggedIn(KEYS.admin);
    await admin.page.goto(`${ui.base}/ui/submissions/${record.id}`);
    expect(await admin.page.locator('main').textContent()).toContain(HOSTILE_NAME);
    await admin.context.close();
  });
});
