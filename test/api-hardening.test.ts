/**
 * Four hardening fixes of the API (issue "Honest scores under attack"), through the HTTP API of
 * apps wired as api/main.ts wires them (createApiProcess), on a real Redis:
 * - ASSAY_TRUST_PROXY: rate limits see the client behind a trusted proxy, and nobody else can
 *   choose their own address with X-Forwarded-For;
 * - UI sessions carry a fingerprint of their key, so rotating the key ends them;
 * - the candidate's access token never goes in a URL a server sees (`#token=`, not `?token=`);
 *   the page's script is run in headless Chromium (Debian's chromium) to prove the flow works;
 * - ASSAY_METRICS_KEY puts /metrics behind its own bearer key.
 */
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import request, { type Response } from 'supertest';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createApiProcess, type ApiProcess } from '../api/wire.ts';
import { buildConfig } from '../runner/config.ts';
import { createLogger } from '../runner/log.ts';
import { startRedis, type TestRedis } from '../runner/devtools/redis.ts';
import { testEnv } from '../runner/devtools/stack.ts';
import { seedSubmission } from '../runner/devtools/ui-fixture.ts';
import { launchChromium } from './support/ui-browser.ts';

const KEYS = { admin: 'hard-admin-key-0123456789', reviewer: 'hard-reviewer-key-0123456', submitter: 'hard-submitter-key-012345' };
const API_KEYS = `ada:admin:${KEYS.admin},rita:reviewer:${KEYS.reviewer},sam:submitter:${KEYS.submitter}`;
/** A public IP literal: passes the fetch policy without a DNS lookup (nothing is fetched: no worker runs). */
const REPO = 'https://93.184.215.14/acme/solution.git';
/** The UI's limit of login attempts per client address per minute (api/ui/routes.ts). */
const LOGIN_LIMIT = 10;
const auth = (key: string) => ({ Authorization: `Bearer ${key}` });

let redis: TestRedis;
const apis: ApiProcess[] = [];

beforeAll(async () => {
  redis = await startRedis();
});

afterAll(async () => {
  for (const api of apis) await api.close().catch(() => undefined);
  await redis?.stop();
});

/** An API process on the test Redis (its own key prefix unless given), with the keys above unless overridden. */
async function makeApi(overrides: Record<string, string> = {}): Promise<ApiProcess> {
  const config = buildConfig({ ...process.env, ...testEnv(redis.url, { ASSAY_API_KEYS: API_KEYS, ASSAY_LOG_LEVEL: 'silent', ...overrides }) });
  const api = await createApiProcess(config, { log: createLogger('silent'), checkEngine: null });
  apis.push(api);
  return api;
}

function login(api: ApiProcess, key: string, forwardedFor?: string) {
  const req = request(api.app).post('/ui/login').type('form');
  if (forwardedFor !== undefined) req.set('X-Forwarded-For', forwardedFor);
  return req.send({ key });
}

/** The `assay_session=...` pair of a login response, ready for a Cookie header. */
function sessionCookie(res: Response): string {
  const raw = ([] as string[]).concat(res.headers['set-cookie'] ?? []).find((c) => c.startsWith('assay_session='));
  expect(raw, 'a session cookie').toBeDefined();
  return raw!.split(';')[0]!;
}

describe('ASSAY_TRUST_PROXY: rate limits see the client, not the proxy', () => {
  // Rate limits count in fixed one-minute windows: a frozen clock keeps each burst in one window.
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('with loopback trusted, limits bad logins per forwarded client: one client locked out does not lock out another', async () => {
    const api = await makeApi({ ASSAY_TRUST_PROXY: 'loopback' });
    for (let i = 0; i < LOGIN_LIMIT; i++) expect((await login(api, 'wrong-key-0123456789abc', '203.0.113.7')).status).toBe(401);
    const locked = await login(api, 'wrong-key-0123456789abc', '203.0.113.7');
    expect(locked.status).toBe(429);
    expect(locked.headers['retry-after']).toBe('60');
    expect((await login(api, KEYS.reviewer, '203.0.113.7')).status).toBe(429);

    // Another client behind the same proxy (the same socket peer, 127.0.0.1) is not affected.
    expect((await login(api, 'wrong-key-0123456789abc', '198.51.100.9')).status).toBe(401);
    const other = await login(api, KEYS.reviewer, '198.51.100.9');
    expect(other.status).toBe(303);
    expect(other.headers.location).toBe('/ui');
  });

  it('without it, X-Forwarded-For is ignored: a client cannot dodge the limit by forging the header', async () => {
    const api = await makeApi();
    for (let i = 0; i < LOGIN_LIMIT; i++) expect((await login(api, 'wrong-key-0123456789abc', `203.0.113.${i + 1}`)).status).toBe(401);
    expect((await login(api, 'wrong-key-0123456789abc', '203.0.113.200')).status).toBe(429);
    expect((await login(api, KEYS.reviewer, '198.51.100.9')).status).toBe(429);
  });

  it('with a hop count, only the address the proxy appended counts: a forged entry before it changes nothing', async () => {
    const api = await makeApi({ ASSAY_TRUST_PROXY: '1' });
    // The client wrote the first entry itself; the proxy appended the address it saw.
    for (let i = 0; i < LOGIN_LIMIT; i++) expect((await login(api, 'wrong-key-0123456789abc', `10.9.9.${i}, 203.0.113.7`)).status).toBe(401);
    expect((await login(api, 'wrong-key-0123456789abc', '10.9.9.99, 203.0.113.7')).status).toBe(429);
    expect((await login(api, KEYS.reviewer, '203.0.113.8')).status).toBe(303);
  });

  it('the submission rate limit is per forwarded client too', async () => {
    const api = await makeApi({ ASSAY_TRUST_PROXY: 'loopback', ASSAY_OPEN_SUBMISSIONS: 'true', ASSAY_RATE_LIMIT_PER_MINUTE: '1', ASSAY_MAX_QUEUED_PER_CANDIDATE: '100' });
    const submit = (client: string) => request(api.app).post('/v1/submissions').set('X-Forwarded-For', client).send({ challenge: 'simple-api', repoUrl: REPO });
    expect((await submit('203.0.113.7')).status).toBe(202);
    const limited = await submit('203.0.113.7');
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe('RATE_LIMITED');
    expect((await submit('198.51.100.9')).status).toBe(202);
  });
});

describe('UI sessions carry a fingerprint of their key', () => {
  it('a rotated key (same name, new secret) ends the sessions opened with it; the new key logs in', async () => {
    const sessionSecret = `hardening-session-secret-${randomUUID()}`;
    const rotated = 'hard-reviewer-key-ROTATED-0';
    const before = await makeApi({ ASSAY_SESSION_SECRET: sessionSecret });
    const { record } = await seedSubmission(before.store, { candidate: { name: 'Rotation Candidate' }, percent: 90, hostile: false });
    const loggedIn = await login(before, KEYS.reviewer);
    expect(loggedIn.status).toBe(303);
    const cookie = sessionCookie(loggedIn);

    // The cookie names the key's owner and a 16-hex fingerprint; never the key.
    const payload = JSON.parse(Buffer.from(cookie.split('=')[1]!.split('.')[0]!, 'base64url').toString('utf8')) as Record<string, unknown>;
    expect(payload).toMatchObject({ n: 'rita', r: 'reviewer', k: expect.stringMatching(/^[0-9a-f]{16}$/) });
    expect(cookie).not.toContain(KEYS.reviewer);
    expect(JSON.stringify(payload)).not.toContain(KEYS.reviewer);

    const reportPath = `/v1/submissions/${record.id}/report.html`;
    expect((await request(before.app).get('/ui').set('Cookie', cookie)).status).toBe(200);
    const reviewerPage = await request(before.app).get(reportPath).set('Cookie', cookie);
    expect(reviewerPage.status).toBe(200);
    expect(reviewerPage.text).toContain('Rotation Candidate');

    // A restart with the same key and secret keeps the session: the check is about the key.
    const restarted = await makeApi({ ASSAY_SESSION_SECRET: sessionSecret, ASSAY_KEY_PREFIX: before.config.redis.prefix });
    expect((await request(restarted.app).get('/ui').set('Cookie', cookie)).status).toBe(200);

    // The same name with a new secret: the old cookie opens nothing any more.
    const after = await makeApi({
      ASSAY_SESSION_SECRET: sessionSecret,
      ASSAY_KEY_PREFIX: before.config.redis.prefix,
      ASSAY_API_KEYS: `ada:admin:${KEYS.admin},rita:reviewer:${rotated}`,
    });
    const refused = await request(after.app).get('/ui').set('Cookie', cookie);
    expect(refused.status).toBe(303);
    expect(refused.headers.location).toBe('/ui/login');
    expect((await request(after.app).get('/ui/login').set('Cookie', cookie)).status).toBe(200); // the login form, not a redirect into the UI
    const post = await request(after.app).post(`/ui/submissions/${record.id}/rerun`).set('Cookie', cookie).type('form').send({ csrf: 'x' });
    expect(post.status).toBe(401);
    const page = await request(after.app).get(reportPath).set('Cookie', cookie);
    expect(page.text).not.toContain('Rotation Candidate');
    expect(page.text).toContain('data-testid="candidate-shell"');

    expect((await login(after, KEYS.reviewer)).status).toBe(401);
    const fresh = await login(after, rotated);
    expect(fresh.status).toBe(303);
    const freshCookie = sessionCookie(fresh);
    expect((await request(after.app).get('/ui').set('Cookie', freshCookie)).status).toBe(200);
    expect((await request(after.app).get(reportPath).set('Cookie', freshCookie)).text).toContain('Rotation Candidate');
    // And the new session is no good where the old key is still configured.
    expect((await request(before.app).get('/ui').set('Cookie', freshCookie)).status).toBe(303);
  });
});

describe('the candidate access token never goes in a URL a server sees', () => {
  it('the creation response gives the candidate a link with the token in the fragment, and no link with it in the query', async () => {
    const api = await makeApi({ ASSAY_PUBLIC_URL: 'https://assay.example.com', ASSAY_RATE_LIMIT_PER_MINUTE: '100' });
    const idem = `hardening-${randomUUID()}`;
    const created = await request(api.app).post('/v1/submissions').set(auth(KEYS.submitter)).set('Idempotency-Key', idem).send({ challenge: 'simple-api', repoUrl: REPO });
    expect(created.status).toBe(202);
    const { accessToken, candidateUrl, links } = created.body as { accessToken: string; candidateUrl: string; links: Record<string, string> };
    expect(candidateUrl).toBe(`https://assay.example.com/v1/submissions/${created.body.id}/report.html#token=${accessToken}`);
    const url = new URL(candidateUrl);
    expect(url.search).toBe('');
    expect(url.hash).toBe(`#token=${accessToken}`);
    expect(JSON.stringify(links)).not.toContain(accessToken);
    expect(created.headers.location).not.toContain(accessToken);

    // A replay shows neither the token nor the link (the token is not stored).
    const replay = await request(api.app).post('/v1/submissions').set(auth(KEYS.submitter)).set('Idempotency-Key', idem).send({ challenge: 'simple-api', repoUrl: REPO });
    expect(replay.status).toBe(200);
    expect(replay.body.accessToken).toBeUndefined();
    expect(replay.body.candidateUrl).toBeUndefined();
  });

  it('the old ?token= form is refused with 400 TOKEN_IN_URL pointing to #token=, even with the right token', async () => {
    const api = await makeApi();
    const { record, token } = await seedSubmission(api.store, { candidate: { name: 'Query Candidate' }, percent: 90, hostile: false });
    const res = await request(api.app).get(`/v1/submissions/${record.id}/report.html?token=${token}`);
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.text).toContain('#token=');
    expect(res.text).toContain('Authorization: Bearer');
    expect(res.text).not.toContain('Query Candidate');
    expect(res.text).not.toContain(token);
    expect(res.text).not.toMatch(/<span class="score">/);
    // Also with a Bearer or a run: the query is refused whatever else the request carries.
    expect((await request(api.app).get(`/v1/submissions/${record.id}/report.html?run=1&token=${token}`).set(auth(token))).status).toBe(400);
    // The JSON endpoints never took it: an unknown query field.
    const json = await request(api.app).get(`/v1/submissions/${record.id}/report?token=${token}`).set(auth(token));
    expect(json.status).toBe(400);
    expect(json.body.error.code).toBe('VALIDATION_FAILED');
  });

  it('without credentials the page is a shell: no data, the same for any id, a nonce script allowed to fetch this origin only', async () => {
    const api = await makeApi();
    const { record } = await seedSubmission(api.store, { candidate: { name: 'Shell Candidate' }, percent: 90, hostile: false });
    const shell = await request(api.app).get(`/v1/submissions/${record.id}/report.html`);
    const unknown = await request(api.app).get(`/v1/submissions/${randomUUID()}/report.html`);
    for (const res of [shell, unknown]) {
      expect(res.status).toBe(200);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.headers['referrer-policy']).toBe('no-referrer');
      const csp = res.headers['content-security-policy'] as string;
      const nonce = /script-src 'nonce-([^']+)'/.exec(csp)?.[1];
      expect(nonce).toBeDefined();
      expect(csp).toContain("connect-src 'self'");
      expect(csp).toMatch(/^default-src 'none'/);
      expect(res.text).toContain(`<script nonce="${nonce}">`);
      expect(res.text).toContain('data-testid="candidate-shell"');
      expect(res.text).not.toContain('Shell Candidate');
      expect(res.text).not.toContain(record.id);
      expect(res.text).not.toContain(REPO);
    }
    const withoutNonces = (page: string) => page.replace(/nonce="[^"]*"/g, 'nonce=""');
    expect(withoutNonces(shell.text)).toBe(withoutNonces(unknown.text));
    // Pages other than this one keep a CSP without connect-src.
    expect((await request(api.app).get('/ui/login')).headers['content-security-policy']).not.toContain('connect-src');
  });

  it('in a browser, the #token= link shows the candidate page, and no request the server sees carries the token', async () => {
    const api = await makeApi();
    const { record, token } = await seedSubmission(api.store, { candidate: { name: 'Browser Candidate' }, percent: 90, hostile: false });
    const seen: { url: string; authorization?: string }[] = [];
    const server: Server = await api.listen(0, '127.0.0.1');
    server.on('request', (req: { url?: string; headers: Record<string, string | string[] | undefined> }) => {
      seen.push({ url: req.url ?? '', ...(typeof req.headers.authorization === 'string' ? { authorization: req.headers.authorization } : {}) });
    });
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      const violations: string[] = [];
      page.on('console', (m) => {
        if (/Content Security Policy|Refused/.test(m.text())) violations.push(m.text());
      });
      const path = `/v1/submissions/${record.id}/report.html`;
      await page.goto(`${base}${path}#token=${token}`);
      await page.locator('main h1', { hasText: 'Your submission' }).waitFor({ timeout: 10_000 });
      await expect(page.locator('main .score').textContent()).resolves.toMatch(/%$/);
      await expect(page.locator('main').textContent()).resolves.toContain('GET /health returns 200');
      await expect(page.locator('main').textContent()).resolves.not.toContain('createdAt is an ISO-8601 timestamp'); // hidden test
      expect(page.url()).toBe(`${base}${path}`); // the fragment is gone from the address bar and this entry of the history

      // A reload finds the token in this tab's sessionStorage.
      await page.reload();
      await page.locator('main h1', { hasText: 'Your submission' }).waitFor({ timeout: 10_000 });
      expect(violations).toEqual([]);

      const pageRequests = seen.filter((r) => r.url.startsWith(path));
      expect(pageRequests.length).toBeGreaterThanOrEqual(4); // shell + fetch, twice
      for (const r of seen) expect(r.url).not.toContain(token);
      expect(pageRequests.filter((r) => r.authorization === `Bearer ${token}`)).toHaveLength(2);
    } finally {
      await browser.close();
    }
  });
});

describe('ASSAY_METRICS_KEY: /metrics behind its own key', () => {
  it('unset: /metrics is open, as before', async () => {
    const api = await makeApi();
    const res = await request(api.app).get('/metrics');
    expect(res.status).toBe(200);
    expect(res.text).toContain('assay_queue_jobs');
  });

  it('set: 401 in the API error shape without that exact key as a Bearer (an API key is not it); 200 with it', async () => {
    const metricsKey = `metrics-key-${randomUUID()}`;
    const api = await makeApi({ ASSAY_METRICS_KEY: metricsKey });
    const attempts = [
      request(api.app).get('/metrics'),
      request(api.app).get('/metrics').set(auth(`${metricsKey}x`)),
      request(api.app).get('/metrics').set(auth(metricsKey.slice(0, -1))),
      request(api.app).get('/metrics').set(auth(KEYS.admin)),
      request(api.app).get('/metrics').set('Authorization', `Basic ${Buffer.from(`x:${metricsKey}`).toString('base64')}`),
    ];
    for (const res of await Promise.all(attempts)) {
      expect(res.status).toBe(401);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.headers['www-authenticate']).toBe('Bearer realm="assay"');
      expect(res.body).toEqual({ error: { code: 'UNAUTHENTICATED', message: expect.any(String) } });
      expect(res.text).not.toContain('assay_queue_jobs');
    }
    const ok = await request(api.app).get('/metrics').set(auth(metricsKey));
    expect(ok.status).toBe(200);
    expect(ok.headers['content-type']).toMatch(/^text\/plain/);
    expect(ok.text).toContain('assay_queue_jobs');
    expect(ok.text).toContain('assay_http_request_duration_seconds');
    // Other operational endpoints stay public.
    expect((await request(api.app).get('/healthz')).status).toBe(200);
  });
});
