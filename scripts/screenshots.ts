/**
 * `npm run screenshots`: renders the reviewer UI with stored fixture submissions and writes
 * docs/screenshot-dashboard.png, docs/screenshot-stats.png and docs/screenshot-report.png.
 * Takes: Docker (a throwaway Redis from the locally built image, as the tests use) and Debian's
 * chromium at /usr/bin/chromium. Prints the paths it wrote.
 */
import type { AddressInfo } from 'node:net';
import { chromium, type Browser } from 'playwright-core';
import { createApiProcess } from '../api/wire.ts';
import { buildConfig } from '../runner/config.ts';
import { createLogger } from '../runner/log.ts';
import { startRedis } from '../runner/devtools/redis.ts';
import { testEnv } from '../runner/devtools/stack.ts';
import { fixtureInsights } from '../runner/devtools/insights-fixture.ts';
import { seedSubmission } from '../runner/devtools/ui-fixture.ts';

const KEY = 'screenshot-admin-key-0123456789';
// As in vitest.config.ts: no Ryuk (it would be pulled from a registry); the Redis is stopped below.
process.env.TESTCONTAINERS_RYUK_DISABLED ??= 'true';
const redis = await startRedis();
const config = buildConfig({ ...process.env, ...testEnv(redis.url, { ASSAY_API_KEYS: `reviewer:admin:${KEY}`, ASSAY_LOG_LEVEL: 'silent' }) });
// No engine check: nothing here reads /readyz.
const api = await createApiProcess(config, { log: createLogger('silent'), checkEngine: null });
const { store } = api;
const server = await api.listen(0, '127.0.0.1');
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
let browser: Browser | undefined;
try {
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const people = [
    { name: 'Ada Lovelace', percent: 90 },
    { name: 'Grace Hopper', percent: 60 },
    { name: 'Alan Turing', percent: 30 },
    { name: 'Edsger Dijkstra', percent: 10 },
  ];
  const seeded = [];
  for (const p of people) {
    // The report shown (Alan Turing's) carries insights: lint, size, hygiene and the diff against the starter.
    const insights = p.percent === 30 ? { insights: fixtureInsights({ hostile: false }) } : {};
    seeded.push(await seedSubmission(store, { candidate: { name: p.name }, percent: p.percent, hostile: false, callbackUrl: 'https://hooks.example.com/assay', ...insights }));
  }
  await seedSubmission(store, { candidate: { name: 'Barbara Liskov' }, status: 'running' });
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(`${base}/ui/login`);
  await page.fill('#key', KEY);
  await Promise.all([page.waitForURL(`${base}/ui`), page.click('button[type=submit]')]);
  await page.goto(`${base}/ui/challenges/simple-api`);
  await page.screenshot({ path: 'docs/screenshot-dashboard.png', fullPage: true });
  await page.goto(`${base}/ui/challenges/simple-api/stats`);
  await page.screenshot({ path: 'docs/screenshot-stats.png', fullPage: true });
  await page.goto(`${base}/ui/submissions/${seeded[2]!.record.id}`);
  await page.locator('details[data-step=start] summary').click();
  await page.screenshot({ path: 'docs/screenshot-report.png', fullPage: true });
  console.log('wrote docs/screenshot-dashboard.png, docs/screenshot-stats.png and docs/screenshot-report.png');
} finally {
  await browser?.close();
  await api.close();
  await redis.stop();
}
