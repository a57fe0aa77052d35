/**
 * A challenge's cohort through the real API on a real Redis: statistics (exact numbers, one
 * version or all), the percentile in the reviewer's report (and not in the candidate's), the
 * CSV and JSON exports (parsed back with an RFC 4180 reader, hostile names defused against
 * spreadsheet formulas), the dashboard's filters on the exports, anonymous review, roles, bad
 * queries, and rows rebuilt for submissions graded before rows existed.
 */
import request, { type Response } from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HIDDEN } from '../api/anonymity.ts';
import { createApiProcess, type ApiProcess } from '../api/wire.ts';
import { buildConfig, type Config } from '../runner/config.ts';
import { createLogger } from '../runner/log.ts';
import type { TestStatus } from '../runner/report/schema.ts';
import { StoreKeys } from '../runner/store/keys.ts';
import { createRedis } from '../runner/store/redis.ts';
import { startRedis, type TestRedis } from '../runner/devtools/redis.ts';
import { testEnv } from '../runner/devtools/stack.ts';
import { fixtureReport, seedSubmission, type SeedOptions } from '../runner/devtools/ui-fixture.ts';
import { fullReview, reviewChallenges, type ReviewChallenges } from './support/review-challenges.ts';

const KEYS = { admin: 'cohort-admin-key-0123456789', rita: 'cohort-reviewer-rita-012345', submitter: 'cohort-submitter-key-012345' };
const auth = (key: string) => ({ Authorization: `Bearer ${key}` });

/** The four fixture tests: core.health 3, core.create 5, core.created-at-iso 3 (hidden), validation.missing-title 3 points. */
const tests = (health: TestStatus, create: TestStatus, iso: TestStatus, title: TestStatus) => ({ 'core.health': health, 'core.create': create, 'core.created-at-iso': iso, 'validation.missing-title': title });
const P = 'passed';
const F = 'failed';

const NAMES = {
  formula: '=HYPERLINK("http://evil.example/x","click me")',
  script: '<script>alert(1)</script>',
  quoted: 'Grace "G" Hopper, PhD\nsecond line',
  plus: '+SUM(1,2)',
  dana: 'Dana Scully',
  quinn: 'Quinn',
};

let redis: TestRedis;
let challenges: ReviewChallenges;
let api: ApiProcess;
let config: Config;
const ids = {} as Record<keyof typeof NAMES, string>;
let candidateToken: string;

const seed = (name: string, opts: SeedOptions) => seedSubmission(api.store, { hostile: false, candidate: { name, email: `${name.length}-${Object.keys(ids).length}@example.com` }, ...opts });

beforeAll(async () => {
  redis = await startRedis();
  challenges = await reviewChallenges();
  config = buildConfig({
    ...process.env,
    ...testEnv(redis.url, { ASSAY_API_KEYS: `ada:admin:${KEYS.admin},rita:reviewer:${KEYS.rita},sam:submitter:${KEYS.submitter}`, ASSAY_CHALLENGES_DIR: challenges.dir, ASSAY_LOG_LEVEL: 'silent' }),
  });
  api = await createApiProcess(config, { log: createLogger('silent'), checkEngine: null });

  // Version 1.0.0: 78.6 (11/14), 42.9 (6/14), 21.4 (3/14), and a rerun 0 -> 78.6; version 1.1.0: 100.
  const a = await seed(NAMES.formula, { tests: tests(P, P, F, P), durationMs: 1000 });
  ids.formula = a.record.id;
  const b = await seed(NAMES.script, { tests: tests(P, F, F, P), flags: ['files_dropped'], durationMs: 3000, hostile: true });
  ids.script = b.record.id;
  candidateToken = b.token;
  ids.quoted = (await seed(NAMES.quoted, { tests: tests(P, F, F, F), flags: ['files_dropped', 'no_tests_ran'], durationMs: 2000 })).record.id;
  const rerun = await seed(NAMES.plus, { tests: tests(F, F, F, F), flags: ['resource_limit'], durationMs: 9000 });
  ids.plus = rerun.record.id;
  expect((await api.store.lifecycle.rerun(ids.plus)).ok).toBe(true);
  const second = fixtureReport(ids.plus, { hostile: false, tests: tests(P, P, F, P), durationMs: 5000 });
  expect(await api.store.saveReport(ids.plus, 2, second)).toBe(true);
  expect((await api.store.lifecycle.complete(ids.plus, 2, second)).ok).toBe(true);
  ids.dana = (await seed(NAMES.dana, { version: '1.1.0', tests: tests(P, P, P, P), durationMs: 4000 })).record.id;
  ids.quinn = (await seed(NAMES.quinn, { status: 'queued' })).record.id;
});

afterAll(async () => {
  await api?.close();
  await redis?.stop();
  await challenges?.close();
});

const get = (path: string, key = KEYS.rita) => request(api.app).get(path).set(auth(key));

function expectError(res: Response, status: number, code: string): void {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.body.error.code).toBe(code);
}

/** RFC 4180: records end with CRLF, quoted fields may hold commas, CR, LF and doubled quotes. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (c === '"' && field === '') {
      let end = i + 1;
      for (;;) {
        const q = text.indexOf('"', end);
        if (q < 0) throw new Error('unterminated quoted field');
        if (text[q + 1] === '"') {
          field += text.slice(end, q + 1);
          end = q + 2;
          continue;
        }
        field += text.slice(end, q);
        i = q + 1;
        break;
      }
      continue;
    }
    if (c === ',') {
      record.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      i++;
    } else {
      field += c;
    }
    i++;
  }
  if (field !== '' || record.length) throw new Error('the last record does not end with CRLF');
  return records;
}

describe('GET /v1/challenges/:id/stats', () => {
  it('gives exact statistics for one version: histogram, percentiles, pass rate per test, grading time, flags', async () => {
    const res = await get('/v1/challenges/simple-api/stats?version=1.0.0');
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const s = res.body;
    expect(s).toMatchObject({ challenge: 'simple-api', version: '1.0.0', count: 4, failed: 0 });
    expect(s.versions).toEqual([
      { version: '1.1.0', count: 1 },
      { version: '1.0.0', count: 4 },
    ]);
    // Scores 21.4, 42.9, 78.6, 78.6 (the rerun's second run replaced its 0).
    expect(s.score).toEqual({ min: 21.4, max: 78.6, mean: 55.4, p25: 37.5, p50: 60.8, p75: 78.6, p90: 78.6 });
    expect(s.histogram.map((b: { count: number }) => b.count)).toEqual([0, 0, 1, 0, 1, 0, 0, 2, 0, 0]);
    expect(s.histogram[7]).toEqual({ from: 70, to: 80, count: 2 });
    expect(s.tests).toEqual([
      { id: 'core.health', name: 'GET /health returns 200', category: 'core', runs: 4, passed: 4, passPercent: 100, uniform: 'all_passed' },
      { id: 'core.create', name: 'POST /tasks returns 201 with the created task', category: 'core', runs: 4, passed: 2, passPercent: 50, uniform: null },
      { id: 'core.created-at-iso', name: 'createdAt is an ISO-8601 timestamp', category: 'core', runs: 4, passed: 0, passPercent: 0, uniform: 'all_failed' },
      { id: 'validation.missing-title', name: 'Missing title returns 400', category: 'validation', runs: 4, passed: 3, passPercent: 75, uniform: null },
    ]);
    expect(s.gradingTimeMs).toEqual({ median: 2500 });
    // resource_limit was the first run's flag: the rerun's row replaced it.
    expect(s.flags).toEqual([
      { code: 'files_dropped', count: 2, percent: 50 },
      { code: 'no_tests_ran', count: 1, percent: 25 },
    ]);
  });

  it('takes every version together without ?version, and is empty (not an error) for a version without rows', async () => {
    const all = await get('/v1/challenges/simple-api/stats');
    expect(all.status).toBe(200);
    expect(all.body).toMatchObject({ version: null, count: 5, score: { min: 21.4, max: 100, p50: 78.6 } });
    expect(all.body.histogram[9].count).toBe(1);
    const none = await get('/v1/challenges/simple-api/stats?version=9.9.9');
    expect(none.status).toBe(200);
    expect(none.body).toMatchObject({ count: 0, score: null, tests: [], flags: [], gradingTimeMs: null });
  });

  it('is for reviewers and admins only; bad queries are 400, unknown challenges 404', async () => {
    expect((await get('/v1/challenges/simple-api/stats', KEYS.admin)).status).toBe(200);
    expectError(await get('/v1/challenges/simple-api/stats', KEYS.submitter), 403, 'FORBIDDEN');
    expectError(await get('/v1/challenges/simple-api/stats', candidateToken), 401, 'UNAUTHENTICATED');
    expectError(await request(api.app).get('/v1/challenges/simple-api/stats'), 401, 'UNAUTHENTICATED');
    expectError(await get('/v1/challenges/simple-api/stats?version=latest'), 400, 'VALIDATION_FAILED');
    expectError(await get('/v1/challenges/simple-api/stats?bins=20'), 400, 'VALIDATION_FAILED');
    expectError(await get('/v1/challenges/no-such-thing/stats'), 404, 'NOT_FOUND');
    expectError(await get('/v1/challenges/..%2Fetc/stats'), 404, 'NOT_FOUND');
  });
});

describe('percentile in the report', () => {
  it('is in the reviewer report, within the version (mid-rank for ties), and not in the candidate report', async () => {
    const tie = await get(`/v1/submissions/${ids.formula}/report`);
    expect(tie.status).toBe(200);
    // 78.6 among 21.4, 42.9, 78.6, 78.6: two below, two equal -> (2 + 1) / 4.
    expect(tie.body.cohort).toEqual({ percentile: 75, of: 4, version: '1.0.0' });
    expect((await get(`/v1/submissions/${ids.quoted}/report`)).body.cohort).toEqual({ percentile: 12.5, of: 4, version: '1.0.0' });
    expect((await get(`/v1/submissions/${ids.dana}/report`)).body.cohort).toEqual({ percentile: 50, of: 1, version: '1.1.0' });
    const candidate = await get(`/v1/submissions/${ids.script}/report`, candidateToken);
    expect(candidate.status).toBe(200);
    expect(candidate.body.cohort).toBeUndefined();
  });

  it('is on the reviewer report page', async () => {
    const page = await get(`/v1/submissions/${ids.formula}/report.html`);
    expect(page.status).toBe(200);
    expect(page.text).toMatch(/data-testid="percentile">75<\/strong>/);
    expect(page.text).toContain('among 4 graded submissions of v1.0.0');
  });
});

describe('exports', () => {
  const HEADER_START = ['id', 'candidate_name', 'candidate_email', 'candidate_external_id', 'repo_url', 'status', 'created_at', 'finished_at', 'version', 'score_percent', 'points', 'max_points'];

  it('exports the cohort as CSV: RFC 4180, formulas defused, one column per category and rubric criterion, the same data as the JSON', async () => {
    const res = await get('/v1/challenges/simple-api/submissions.csv');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/csv; charset=utf-8/);
    expect(res.headers['content-disposition']).toMatch(/^attachment; filename="simple-api-submissions-\d{4}-\d{2}-\d{2}\.csv"$/);
    const [header, ...rows] = parseCsv(res.text);
    expect(header?.slice(0, HEADER_START.length)).toEqual(HEADER_START);
    expect(header).toEqual(expect.arrayContaining(['category:core', 'category:validation', 'category:filtering-pagination', 'category:robustness', 'rubric:code-structure', 'rubric:readme', 'rubric_percent', 'total_percent', 'flags', 'max_similarity']));
    expect(rows).toHaveLength(6);
    const col = (row: string[], name: string) => row[header!.indexOf(name)];
    const byId = new Map(rows.map((r) => [col(r, 'id'), r]));

    // Ordered by score, high first; the queued one (no score) last.
    expect(col(rows[0]!, 'id')).toBe(ids.dana);
    expect(col(rows.at(-1)!, 'id')).toBe(ids.quinn);
    expect(rows.map((r) => col(r, 'score_percent'))).toEqual(['100', '78.6', '78.6', '42.9', '21.4', '']);

    // A cell a spreadsheet would run as a formula starts with a quote; others are kept as they are.
    expect(col(byId.get(ids.formula)!, 'candidate_name')).toBe(`'${NAMES.formula}`);
    expect(col(byId.get(ids.plus)!, 'candidate_name')).toBe(`'${NAMES.plus}`);
    expect(col(byId.get(ids.script)!, 'candidate_name')).toBe(NAMES.script);
    expect(col(byId.get(ids.quoted)!, 'candidate_name')).toBe(NAMES.quoted);
    expect(res.text).not.toMatch(/(^|,)=HYPERLINK/m);

    const quoted = byId.get(ids.quoted)!;
    expect(col(quoted, 'flags')).toBe('files_dropped;no_tests_ran');
    expect(col(quoted, 'category:core')).toBe('27.3'); // 3 of 11
    expect(col(quoted, 'category:validation')).toBe('0');
    expect(col(quoted, 'version')).toBe('1.0.0');
    expect(col(byId.get(ids.quinn)!, 'status')).toBe('queued');

    const json = await get('/v1/challenges/simple-api/submissions.json');
    expect(json.status).toBe(200);
    expect(json.headers['content-disposition']).toMatch(/^attachment; filename="simple-api-submissions-\d{4}-\d{2}-\d{2}\.json"$/);
    const items = JSON.parse(json.text).items as { id: string; candidate?: { name: string }; score: { percent: number } | null; flags: string[]; categories: Record<string, number> }[];
    expect(items.map((i) => i.id)).toEqual(rows.map((r) => col(r, 'id')));
    for (const item of items) {
      const row = byId.get(item.id)!;
      expect(col(row, 'score_percent')).toBe(item.score ? String(item.score.percent) : '');
      expect(col(row, 'flags')).toBe(item.flags.join(';'));
      expect(col(row, 'category:core')).toBe(item.categories.core === undefined ? '' : String(item.categories.core));
    }
    expect(items.find((i) => i.id === ids.formula)?.candidate?.name).toBe(NAMES.formula);
  });

  it('takes the dashboard filters: flag, status, search, reviewed, sort', async () => {
    const idsOf = async (query: string) => {
      const res = await get(`/v1/challenges/simple-api/submissions.json?${query}`);
      expect(res.status, res.text).toBe(200);
      return (JSON.parse(res.text).items as { id: string }[]).map((i) => i.id);
    };
    expect(new Set(await idsOf('flag=files_dropped'))).toEqual(new Set([ids.script, ids.quoted]));
    expect(await idsOf('flag=no_tests_ran')).toEqual([ids.quoted]);
    expect(await idsOf('flag=resource_limit')).toEqual([]);
    expect(await idsOf('status=queued')).toEqual([ids.quinn]);
    expect(await idsOf('q=grace%20%22G%22')).toEqual([ids.quoted]);
    expect(await idsOf('q=SCULLY')).toEqual([ids.dana]);
    expect(await idsOf('sort=score&order=asc&status=completed')).toEqual([ids.quoted, ids.script, expect.any(String), expect.any(String), ids.dana]);

    // A submitted review counts as reviewed and brings the rubric and the weighted total; a draft does not.
    const put = (id: string, body: object) => request(api.app).put(`/v1/submissions/${id}/review`).set(auth(KEYS.rita)).send(body);
    expect((await put(ids.script, fullReview({ structure: 5, errors: 5, tests: 5, readme: 3 }))).status).toBe(201);
    expect((await put(ids.quoted, fullReview({}, { status: 'draft' }))).status).toBe(201);
    expect(await idsOf('reviewed=yes')).toEqual([ids.script]);
    expect(await idsOf('reviewed=no')).not.toContain(ids.script);
    expect((await idsOf('sort=rubric')).slice(0, 2)).toEqual([ids.script, ids.quoted]);
    const csv = parseCsv((await get('/v1/challenges/simple-api/submissions.csv?reviewed=yes')).text);
    const [header, row] = csv;
    const col = (name: string) => row![header!.indexOf(name)];
    expect([col('review_status'), col('reviewer'), col('rubric:code-structure'), col('rubric:readme'), col('rubric_percent')]).toEqual(['submitted', 'rita', '5', '3', '100']);
    // 42.9 × 0.7 + 100 × 0.3
    expect(col('total_percent')).toBe('60');
  });

  it('carries each submission\'s highest similarity score and sorts by it', async () => {
    // Pairs as the similarity store keeps them (runner/store/similarity.ts): a score ZSET per submission.
    const keys = new StoreKeys(config.redis.prefix);
    const conn = createRedis(config);
    try {
      await conn.multi().zadd(keys.similarityScores(ids.script), 0.87, ids.quoted, 0.4, ids.dana).zadd(keys.similarityScores(ids.quoted), 0.87, ids.script).zadd(keys.similarityScores(ids.dana), 0.4, ids.script).exec();
    } finally {
      conn.disconnect();
    }
    const [header, ...rows] = parseCsv((await get('/v1/challenges/simple-api/submissions.csv?sort=similarity')).text);
    const col = (row: string[], name: string) => row[header!.indexOf(name)];
    expect(rows.map((r) => [col(r, 'id'), col(r, 'max_similarity')]).slice(0, 3)).toEqual([
      [expect.any(String), '0.87'],
      [expect.any(String), '0.87'],
      [ids.dana, '0.4'],
    ]);
    expect(new Set(rows.slice(0, 2).map((r) => col(r, 'id')))).toEqual(new Set([ids.script, ids.quoted]));
    expect(col(rows.at(-1)!, 'max_similarity')).toBe('');
  });

  it('is for reviewers and admins; bad filters are 400', async () => {
    expectError(await get('/v1/challenges/simple-api/submissions.csv', KEYS.submitter), 403, 'FORBIDDEN');
    expectError(await get('/v1/challenges/simple-api/submissions.json', candidateToken), 401, 'UNAUTHENTICATED');
    expectError(await get('/v1/challenges/simple-api/submissions.csv?sort=name'), 400, 'VALIDATION_FAILED');
    expectError(await get('/v1/challenges/simple-api/submissions.csv?flag=bogus'), 400, 'VALIDATION_FAILED');
    expectError(await get('/v1/challenges/simple-api/submissions.json?page=2'), 400, 'VALIDATION_FAILED');
    expectError(await get(`/v1/challenges/simple-api/submissions.csv?q=${'x'.repeat(201)}`), 400, 'VALIDATION_FAILED');
    expectError(await get('/v1/challenges/nope/submissions.csv'), 404, 'NOT_FOUND');
  });

  it('hides identities under anonymous review until the reviewer has submitted a review, and does not search them', async () => {
    const { record } = await seedSubmission(api.store, { challenge: 'anon-api', hostile: false, candidate: { name: 'Secret Person', email: 'secret@example.com' } });
    const rows = async (key: string, query = '') => parseCsv((await get(`/v1/challenges/anon-api/submissions.csv${query}`, key)).text);
    const [header, row] = await rows(KEYS.rita);
    const col = (r: string[], name: string) => r[header!.indexOf(name)];
    expect(col(row!, 'candidate_name')).toBe('');
    expect(col(row!, 'repo_url')).toBe(HIDDEN);
    expect(await rows(KEYS.rita, '?q=secret')).toHaveLength(1); // the header only
    expect(col((await rows(KEYS.admin))[1]!, 'candidate_name')).toBe('Secret Person');
    const reviewed = await request(api.app).put(`/v1/submissions/${record.id}/review`).set(auth(KEYS.rita)).send(fullReview());
    expect(reviewed.status).toBe(201);
    expect(col((await rows(KEYS.rita, '?q=secret'))[1]!, 'candidate_name')).toBe('Secret Person');
  });
});

describe('OpenAPI document', () => {
  it('documents the statistics and the exports, and the cohort position of the reviewer report', async () => {
    const doc = (await request(api.app).get('/openapi.json')).body;
    expect(doc.paths['/v1/challenges/{id}/stats'].get.responses['200'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/CohortStats' });
    expect(Object.keys(doc.paths['/v1/challenges/{id}/submissions.csv'].get.responses['200'].content)).toEqual(['text/csv']);
    expect(doc.paths['/v1/challenges/{id}/submissions.json'].get.parameters.map((p: { name: string }) => p.name)).toEqual(['id', 'status', 'flag', 'reviewed', 'q', 'sort', 'order']);
    expect(doc.components.schemas.CohortExport.properties.items.items.required).toEqual(expect.arrayContaining(['id', 'status', 'score', 'categories', 'review', 'flags', 'maxSimilarity']));
    expect(doc.components.schemas.ReviewerReport.properties.cohort.required).toEqual(['percentile', 'of', 'version']);
  });
});

describe('cohort rows', () => {
  it('are rebuilt from the reports for submissions graded before rows existed', async () => {
    const { record } = await seedSubmission(api.store, { challenge: 'norubric-api', hostile: false, tests: tests(P, P, P, F) });
    // As a store from before this feature left it: the record and report, no row.
    const conn = createRedis(config);
    try {
      const prefix = (await conn.keys('*:cohort:norubric-api:rows'))[0];
      expect(prefix).toBeDefined();
      await conn.del(prefix!);
      await conn.del(prefix!.replace(/:rows$/, ':v:1.0.0:score'));
    } finally {
      conn.disconnect();
    }
    const stats = await get('/v1/challenges/norubric-api/stats');
    expect(stats.body).toMatchObject({ count: 1, score: { p50: 78.6 } });
    expect((await get(`/v1/submissions/${record.id}/report`)).body.cohort).toEqual({ percentile: 50, of: 1, version: '1.0.0' });
  });
});
