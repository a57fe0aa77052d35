/**
 * Similarity across submissions on the real path: repositories served by git over HTTP on
 * loopback, the API and a grading worker on the real Docker engine, Dolos's fingerprints taken in
 * the analysis container, compared by the worker in a real Redis. Two submissions of debug-app
 * share a copied module (at another path, after other code, so the line ranges differ); a third
 * is unrelated; all three change the starter's src/orders.js, so the starter's code alone would
 * pair them if it were not left out. Checked through the API (both reports, the challenge's
 * list, the candidate's view) and in headless Chromium (the similarity page, hostile file names
 * and lines inert, and the report page's section).
 */
import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChallengeRepository } from '../runner/challenges/repository.ts';
import { buildConfig } from '../runner/config.ts';
import { docker, images, uniqueId } from '../runner/devtools/env.ts';
import { createLogger } from '../runner/log.ts';
import { gradeSubmission } from '../runner/pipeline/grade.ts';
import type { Fingerprinted } from '../runner/stages/job.ts';
import type { SimilarityInsight } from '../api/routes/similarity.ts';
import { launchChromium } from './support/ui-browser.ts';
import { useGradingStack } from './support/grading.ts';

const ADMIN = 'similarity-admin-key-0123456789';
const STARTER = 'challenges/debug-app/starter';

/** The module both copies share: 30 lines of real code, with a line that would be markup if it were not escaped. */
const MODULE = `export function summarise(orders, { currency = 'EUR', since } = {}) {
  const banner = '</pre><script>window.__pwned = 1</script>';
  const byCustomer = new Map();
  for (const order of orders) {
    if (since && new Date(order.createdAt) < since) continue;
    const entry = byCustomer.get(order.customerId) ?? { count: 0, totalCents: 0, items: new Set() };
    entry.count += 1;
    entry.totalCents += order.lines.reduce((sum, line) => sum + line.quantity * line.unitCents, 0);
    for (const line of order.lines) entry.items.add(line.sku);
    byCustomer.set(order.customerId, entry);
  }
  const rows = [];
  for (const [customerId, entry] of byCustomer) {
    const average = entry.count ? Math.round(entry.totalCents / entry.count) : 0;
    rows.push({ customerId, orders: entry.count, total: formatCents(entry.totalCents, currency), average: formatCents(average, currency), distinctItems: entry.items.size });
  }
  rows.sort((a, b) => b.orders - a.orders || a.customerId.localeCompare(b.customerId));
  return { banner, rows, customers: rows.length };
}

function formatCents(cents, currency) {
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(cents);
  const whole = Math.floor(abs / 100);
  const fraction = String(abs % 100).padStart(2, '0');
  return \`\${sign}\${whole}.\${fraction} \${currency}\`;
}

export default summarise;
`;
const MODULE_LINES = MODULE.trimEnd().split('\n').length;

/** Code before the copy in the second submission: the copy starts HEADER_LINES lines further down. */
const HEADER = `import { readFileSync } from 'node:fs';

export function loadOrders(file) {
  const parsed = JSON.parse(readFileSync(file, 'utf8'));
  if (!Array.isArray(parsed)) throw new TypeError('orders must be a list');
  return parsed.filter((o) => o && typeof o.customerId === 'string');
}

`;
const HEADER_LINES = HEADER.split('\n').length - 1;
/** A hostile file name (git and the file system take it): it must stay text on every page. */
const HOSTILE_FILE = 'lib/<img src=x onerror=window.__pwned=2>.js';

/** What each submission adds to the starter's src/orders.js: different code, so only the starter's own lines are common. */
const ORDERS_TAIL = {
  a: `\nexport function ordersOver(orders, cents) {\n  return orders.filter((o) => o.totalCents > cents).map((o) => o.id);\n}\n`,
  c: `\nexport const isOpen = (order) => ['new', 'paid'].includes(order.status) && !order.cancelledAt;\n`,
};

/** An unrelated module: other code entirely. */
const UNRELATED = `const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

export class Schedule {
  constructor(slots = []) {
    this.slots = slots.slice();
  }

  add(day, hour) {
    if (!WEEKDAYS.includes(day)) throw new RangeError(\`unknown day \${day}\`);
    if (hour < 0 || hour > 23) throw new RangeError('hour out of range');
    this.slots.push({ day, hour });
    return this;
  }

  nextAfter(day, hour) {
    const index = WEEKDAYS.indexOf(day);
    const ordered = [...this.slots].sort((x, y) => WEEKDAYS.indexOf(x.day) * 24 + x.hour - (WEEKDAYS.indexOf(y.day) * 24 + y.hour));
    return ordered.find((s) => WEEKDAYS.indexOf(s.day) * 24 + s.hour > index * 24 + hour) ?? ordered[0];
  }
}
`;

// Own tests and history are other insights: off, so the three gradings are quicker.
const grading = useGradingStack({ env: { ASSAY_API_KEYS: `ops:admin:${ADMIN}`, ASSAY_OWN_TESTS: 'false', ASSAY_HISTORY_MAX_COMMITS: '0', ASSAY_SIMILARITY_THRESHOLD: '0.5' } });

let browser: Browser;
let base: string;
const ids = { a: '', b: '', c: '' };
const tokens = { a: '', b: '', c: '' };

async function starterFiles(): Promise<Record<string, string>> {
  const names = ['package.json', 'src/app.js', 'src/errors.js', 'src/files.js', 'src/inventory.js', 'src/money.js', 'src/orders.js', 'src/server.js'];
  return Object.fromEntries(await Promise.all(names.map(async (n) => [n, await readFile(path.join(STARTER, n), 'utf8')] as const)));
}

const reportOf = async (id: string) => {
  const res = await request(grading.stack.api.app).get(`/v1/submissions/${id}/report`).set('Authorization', `Bearer ${ADMIN}`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body as { status: string; insights: { similarity: SimilarityInsight } };
};

beforeAll(async () => {
  const starter = await starterFiles();
  const repos = {
    a: await grading.git.addRepo('a.git', { ...starter, 'src/orders.js': starter['src/orders.js'] + ORDERS_TAIL.a, 'src/summary.js': MODULE }),
    b: await grading.git.addRepo('b.git', { ...starter, [HOSTILE_FILE]: HEADER + MODULE }),
    c: await grading.git.addRepo('c.git', { ...starter, 'src/orders.js': starter['src/orders.js'] + ORDERS_TAIL.c, 'src/schedule.js': UNRELATED }),
  };
  for (const k of ['a', 'b', 'c'] as const) {
    const created = await request(grading.stack.api.app).post('/v1/submissions').set('Authorization', `Bearer ${ADMIN}`).send({ challenge: 'debug-app', repoUrl: repos[k].url, ref: 'main' });
    expect(created.status, JSON.stringify(created.body)).toBe(202);
    ({ id: ids[k], accessToken: tokens[k] } = created.body as { id: string; accessToken: string });
  }
  for (const k of ['a', 'b', 'c'] as const) {
    const final = await grading.stack.waitForFinal(ids[k], 240_000, 250);
    expect(final.status, JSON.stringify(final.error)).toBe('completed');
  }
  const server = await grading.stack.api.listen(0, '127.0.0.1');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await launchChromium();
}, 600_000);

afterAll(async () => {
  await browser?.close();
});

describe('similarity across submissions', () => {
  it('pairs the two copies in both reports, with each side\'s file and line range', async () => {
    const a = (await reportOf(ids.a)).insights.similarity;
    const b = (await reportOf(ids.b)).insights.similarity;
    expect(a.about).toContain('not a verdict');
    expect(a).toMatchObject({ enabled: true, threshold: 0.5, fingerprinted: true });
    expect(a.pairs.map((p) => p.submissionId)).toEqual([ids.b]);
    expect(b.pairs.map((p) => p.submissionId)).toEqual([ids.a]);
    const [pair] = a.pairs;
    expect(pair!.score).toBeGreaterThanOrEqual(0.5);
    expect(b.pairs[0]!.score).toBe(pair!.score);

    // The longest fragment is the copied module: src/summary.js in a, the hostile-named file in b, HEADER_LINES further down.
    const longest = pair!.fragments[0]!;
    expect(longest).toMatchObject({ file: 'src/summary.js', otherFile: HOSTILE_FILE });
    expect(longest.lines.start).toBeLessThanOrEqual(2);
    // The last few lines hold fewer tokens than one k-gram past the last fingerprint chosen.
    expect(longest.lines.end).toBeGreaterThanOrEqual(MODULE_LINES - 4);
    expect(longest.lines.end).toBeLessThanOrEqual(MODULE_LINES);
    expect(longest.otherLines).toEqual({ start: longest.lines.start + HEADER_LINES, end: longest.lines.end + HEADER_LINES });
    // b's view is the same fragment mirrored.
    expect(b.pairs[0]!.fragments[0]).toMatchObject({ file: HOSTILE_FILE, lines: longest.otherLines, otherFile: 'src/summary.js', otherLines: longest.lines });
  });

  it('does not pair the unrelated submission, nor submissions that only share the starter\'s code', async () => {
    const c = (await reportOf(ids.c)).insights.similarity;
    expect(c.fingerprinted).toBe(true);
    expect(c.pairs).toEqual([]);
    // a and c both changed src/orders.js: the starter's lines in it were left out, so they share (almost) nothing.
    expect(c.starterPrints).toBeGreaterThan(50);
    const res = await request(grading.stack.api.app).get('/v1/challenges/debug-app/similarity').set('Authorization', `Bearer ${ADMIN}`);
    expect(res.status).toBe(200);
    expect(res.body.about).toContain('not a verdict');
    expect(res.body.pairs).toHaveLength(1);
    expect([res.body.pairs[0].submissionId, res.body.pairs[0].otherSubmissionId].sort()).toEqual([ids.a, ids.b].sort());
  });

  it('is for reviewers only: the candidate\'s report has no similarity, and the list needs a reviewer key', async () => {
    const candidate = await request(grading.stack.api.app).get(`/v1/submissions/${ids.a}/report`).set('Authorization', `Bearer ${tokens.a}`);
    expect(candidate.status).toBe(200);
    expect(JSON.stringify(candidate.body)).not.toMatch(/similar|fragment/i);
    const page = await request(grading.stack.api.app).get(`/v1/submissions/${ids.a}/report.html`).set('Authorization', `Bearer ${tokens.a}`);
    expect(page.status).toBe(200);
    expect(page.text).not.toMatch(/similar/i);
    expect((await request(grading.stack.api.app).get('/v1/challenges/debug-app/similarity')).status).toBe(401);
    expect((await request(grading.stack.api.app).get('/v1/challenges/debug-app/similarity?limit=0').set('Authorization', `Bearer ${ADMIN}`)).status).toBe(400);
    expect((await request(grading.stack.api.app).get('/v1/challenges/no-such/similarity').set('Authorization', `Bearer ${ADMIN}`)).status).toBe(404);
  });

  it('is in the OpenAPI document', async () => {
    const doc = (await request(grading.stack.api.app).get('/openapi.json')).body as { paths: Record<string, Record<string, { parameters: { name: string }[]; responses: Record<string, unknown> }>>; components: { schemas: Record<string, { properties?: Record<string, unknown> }> } };
    const op = doc.paths['/v1/challenges/{id}/similarity']?.get;
    expect(op?.parameters.map((p) => p.name)).toEqual(['id', 'limit']);
    expect(JSON.stringify(op?.responses['200'])).toContain('#/components/schemas/ChallengeSimilarity');
    expect(Object.keys(doc.components.schemas.SimilarityInsight?.properties ?? {})).toEqual(expect.arrayContaining(['about', 'threshold', 'pairs']));
  });
});

describe('the switch and the starter', () => {
  /** Grades the debug-app starter as it is; what the analysis stage handed over, if anything. */
  async function fingerprintsOfStarter(env: Record<string, string>): Promise<Fingerprinted | undefined> {
    const config = buildConfig({ ...process.env, ...env, ASSAY_OWN_TESTS: 'false', ASSAY_HISTORY_MAX_COMMITS: '0' });
    let taken: Fingerprinted | undefined;
    const report = await gradeSubmission(
      { submissionId: uniqueId('similarity'), attempt: 1, challengeId: 'debug-app', localPath: STARTER },
      { config, docker, images, challenges: new ChallengeRepository('challenges', config.maxima), log: createLogger('warn'), onFingerprints: (t) => (taken = t) },
    );
    expect(report.status).toBe('completed');
    return taken;
  }

  it('takes no fingerprints with ASSAY_SIMILARITY=false, and none of the starter\'s own code', async () => {
    expect(await fingerprintsOfStarter({ ASSAY_SIMILARITY: 'false' })).toBeUndefined();
    const starter = await fingerprintsOfStarter({ ASSAY_SIMILARITY_THRESHOLD: '0.7' });
    expect(starter?.settings).toEqual({ enabled: true, threshold: 0.7, minFragmentLines: 3 });
    expect(starter?.prints.engine?.name).toBe('dolos');
    expect(starter?.prints.prints).toEqual([]);
    expect(starter?.prints.files).toEqual([]);
  });
});

async function login(page: Page): Promise<void> {
  await page.goto(`${base}/ui/login`);
  await page.fill('#key', ADMIN);
  await Promise.all([page.waitForURL(`${base}/ui`), page.click('button[type=submit]')]);
}

describe('the similarity page', () => {
  it('shows the pair with its fragments side by side, line numbers included, and hostile names and lines as text', async () => {
    const page = await (await browser.newContext()).newPage();
    await login(page);
    await page.goto(`${base}/ui/challenges/debug-app/similarity`);
    await expect(page.locator('[data-testid=similarity-about]').textContent()).resolves.toContain('Not a verdict');
    await expect(page.locator('details[data-pair]').count()).resolves.toBe(1);
    const fragment = page.locator('details[data-pair] [data-fragment]').first();
    const sides = { a: fragment.locator('[data-side=a]'), b: fragment.locator('[data-side=b]') };
    const pairAttr = (await page.locator('details[data-pair]').getAttribute('data-pair'))!;
    // Whichever submission is first, one side is src/summary.js and the other the hostile file, both showing the module's lines.
    const texts = [await sides.a.textContent(), await sides.b.textContent()];
    const summarySide = pairAttr.startsWith(ids.a) ? texts[0]! : texts[1]!;
    const hostileSide = pairAttr.startsWith(ids.a) ? texts[1]! : texts[0]!;
    expect(summarySide).toContain('src/summary.js');
    expect(hostileSide).toContain(HOSTILE_FILE);
    for (const t of texts) expect(t).toContain("const banner = '</pre><script>window.__pwned = 1</script>';");
    // Line numbers: the copy's second line is line 2 in a and 2 + HEADER_LINES in b.
    const numbered = pairAttr.startsWith(ids.a) ? sides.a : sides.b;
    await expect(numbered.locator('.ln', { hasText: /^2$/ }).count()).resolves.toBe(1);
    const other = pairAttr.startsWith(ids.a) ? sides.b : sides.a;
    await expect(other.locator('.ln', { hasText: new RegExp(`^${2 + HEADER_LINES}$`) }).count()).resolves.toBe(1);
    await expect(page.locator('script').count()).resolves.toBe(0);
    await expect(page.locator('img').count()).resolves.toBe(0);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();

    // One submission's view, and the report page's section linking to it.
    await page.goto(`${base}/ui/submissions/${ids.c}`);
    await expect(page.locator('[data-testid=similarity] [data-testid=no-pairs]').count()).resolves.toBe(1);
    await page.goto(`${base}/ui/submissions/${ids.b}`);
    const section = page.locator('[data-testid=similarity]');
    await expect(section.locator('[data-testid=similarity-about]').count()).resolves.toBe(1);
    await expect(section.locator(`tr[data-similar="${ids.a}"]`).count()).resolves.toBe(1);
    await Promise.all([page.waitForURL(/\/similarity\?submission=/), section.locator('a', { hasText: 'Compare side by side' }).click()]);
    await expect(page.locator('details[data-pair]').count()).resolves.toBe(1);
    await expect(page.locator('img').count()).resolves.toBe(0);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
  });
});
