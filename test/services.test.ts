/**
 * Challenge services (Postgres, Redis) end to end: the real pipeline (gradeSubmission), the real
 * Docker engine and the locally built images, a throwaway challenge in a temporary challenges
 * directory whose suite probes the services through the grader's clients (`services.pg`,
 * `services.redis`) and restarts the candidate's service.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChallengeRepository } from '../runner/challenges/repository.ts';
import { config, docker, images } from '../runner/devtools/env.ts';
import { PlatformError } from '../runner/errors.ts';
import { createLogger } from '../runner/log.ts';
import { gradeSubmission } from '../runner/pipeline/grade.ts';
import type { Report } from '../runner/report/schema.ts';
import { LABEL_DEPLOYMENT, LABEL_JOB, LABEL_ROLE, LABEL_WORKER, type Images } from '../runner/sandbox/index.ts';

const log = createLogger('warn');
let root: string;

const TESTS = ['env.given', 'pg.fresh', 'pg.candidate-role', 'redis.fresh', 'restart.new-process', 'restart.data-kept', 'pg.disk-full'];

/** The hidden suite: every check runs in the grader, against this job's services. */
const SUITE = `
import assert from 'node:assert/strict';
export default ({ test }) => {
  test('env.given', async ({ http, services }) => {
    const res = await http.get('/env');
    assert.equal(res.status, 200);
    assert.deepEqual(res.json, { ...services.pg.env, ...services.redis.env });
    assert.match(res.json.DATABASE_URL, /^postgresql:\\/\\/app:[A-Za-z0-9_-]{32}@127\\.0\\.0\\.1:5432\\/probe$/);
    assert.equal(res.json.PGDATABASE, 'probe');
    assert.match(res.json.REDIS_URL, /^redis:\\/\\/default:[A-Za-z0-9_-]{32}@127\\.0\\.0\\.1:6379$/);
  });
  test('pg.fresh', async ({ services }) => {
    const { rows } = await services.pg.query("SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public'");
    assert.equal(rows[0].n, 0, 'a new job sees an empty database');
    await services.pg.query('CREATE TABLE marker (job text)');
    await services.pg.query("INSERT INTO marker VALUES ('seen')");
  });
  test('pg.candidate-role', async ({ services }) => {
    const app = await services.pg.connect({ as: 'candidate' });
    const { rows } = await app.query('SELECT current_user AS who, rolsuper, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = current_user');
    assert.deepEqual(rows[0], { who: 'app', rolsuper: false, rolcreaterole: false, rolcreatedb: false });
    await app.query('CREATE TABLE mine (x int)');
    await assert.rejects(app.query('ALTER ROLE app SUPERUSER'), /permission denied|must be superuser/);
  });
  test('redis.fresh', async ({ services }) => {
    assert.equal(await services.redis.command('DBSIZE'), 0, 'a new job sees an empty Redis');
    assert.equal(await services.redis.command('SET', 'marker', 'seen'), 'OK');
    const app = await services.redis.connect({ as: 'candidate' });
    assert.equal(await app.get('marker'), 'seen');
    await assert.rejects(app.sendCommand(['CONFIG', 'GET', 'dir']), /NOPERM/);
    await assert.rejects(app.sendCommand(['REPLICAOF', '172.17.0.1', '6379']), /NOPERM/);
    await assert.rejects(app.sendCommand(['MIGRATE', '172.17.0.1', '6379', 'marker', '0', '1000']), /IOERR|error|unreachable/i);
  });
  test('restart.new-process', async ({ http, restart }) => {
    const before = (await http.get('/pid')).json;
    const { durationMs } = await restart();
    assert.ok(durationMs > 0);
    const after = (await http.get('/pid')).json;
    assert.equal(after.starts, before.starts + 1, 'the service was started again');
    assert.notEqual(after.startedAt, before.startedAt);
  }, { timeoutMs: 20000 });
  test('restart.data-kept', async ({ services }) => {
    const { rows } = await services.pg.query('SELECT job FROM marker');
    assert.deepEqual(rows, [{ job: 'seen' }], 'the database kept running through the restart');
    assert.equal(await services.redis.command('GET', 'marker'), 'seen');
  });
  // A full data disk is an error for the statement that filled it, and nothing else: the
  // checkpoints after it (which write small files of their own) and the WAL must not PANIC, which
  // would drop every connection, this one too.
  test('pg.disk-full', async ({ services }) => {
    const app = await services.pg.connect({ as: 'candidate' });
    await app.query('CREATE TABLE fill (x text)');
    await app.query('ALTER TABLE fill ALTER x SET STORAGE EXTERNAL');
    let refused;
    for (let mb = 0; mb < 400 && !refused; mb++) {
      await app.query('INSERT INTO fill SELECT repeat(md5(random()::text), 32768)').catch((err) => { refused = err; });
    }
    assert.match(String(refused?.message), /could not extend file|No space left on device/);
    await services.pg.query('CHECKPOINT');
    await services.pg.query('CHECKPOINT');
    await app.query('DROP TABLE fill');
    await app.query("INSERT INTO mine VALUES (1)");
    const { rows } = await app.query('SELECT count(*)::int AS n FROM mine');
    assert.deepEqual(rows, [{ n: 1 }]);
  }, { timeoutMs: 30000 });
};
`;

/** The candidate: node:http only; it reports its environment and counts its starts in its workspace. */
const SERVER = `
const http = require('node:http');
const fs = require('node:fs');
const file = '/workspace/starts';
const starts = (fs.existsSync(file) ? Number(fs.readFileSync(file, 'utf8')) : 0) + 1;
fs.writeFileSync(file, String(starts));
const startedAt = Date.now() + ':' + Math.random();
const keys = ['DATABASE_URL', 'PGHOST', 'PGPORT', 'PGUSER', 'PGPASSWORD', 'PGDATABASE', 'REDIS_URL'];
http.createServer((req, res) => {
  const body = req.url === '/env' ? Object.fromEntries(keys.map((k) => [k, process.env[k]])) : { starts, startedAt };
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify(body));
}).listen(Number(process.env.PORT), '0.0.0.0');
`;

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'assay-services-'));
  const dir = path.join(root, 'svc-probe');
  await mkdir(path.join(dir, 'suite'), { recursive: true });
  await mkdir(path.join(dir, 'app'), { recursive: true });
  await writeFile(
    path.join(dir, 'challenge.json'),
    JSON.stringify({
      id: 'svc-probe',
      title: 'Services probe',
      version: '1.0.0',
      kind: 'service',
      runtimes: ['node'],
      limits: { startTimeoutMs: 10000, testTimeoutMs: 60000 },
      services: [{ name: 'postgres', database: 'probe' }, { name: 'redis' }],
      suite: { dir: 'suite', entry: 'tests.mjs' },
      tests: TESTS.map((id) => ({ id, name: id, category: 'services', points: 1 })),
    }),
  );
  await writeFile(path.join(dir, 'suite/tests.mjs'), SUITE);
  await writeFile(path.join(dir, 'app/package.json'), JSON.stringify({ name: 'probe', version: '1.0.0', private: true, scripts: { start: 'node server.js' } }));
  await writeFile(path.join(dir, 'app/server.js'), SERVER);
});

afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

async function grade(id: string, opts: { images?: Images; onStage?: (stage: string) => Promise<void> } = {}): Promise<Report> {
  return gradeSubmission(
    { submissionId: id, attempt: 1, challengeId: 'svc-probe', localPath: path.join(root, 'svc-probe/app') },
    { config, docker, images: opts.images ?? images, challenges: new ChallengeRepository(root, config.maxima), log, ...(opts.onStage ? { onStage: opts.onStage } : {}) },
  );
}

async function containersOf(jobId: string) {
  return docker.listContainers({ all: true, filters: { label: [`${LABEL_JOB}=${jobId}`] } });
}

function expectAllPassed(report: Report): void {
  expect(report.status, JSON.stringify(report.error)).toBe('completed');
  expect(report.tests.filter((t) => t.status !== 'passed').map((t) => `${t.id}: ${t.message}`)).toEqual([]);
  expect(report.score.percent).toBe(100);
}

describe('challenge services', () => {
  it('gives each job its own Postgres and Redis in the shared namespace, labelled as the job, gone after it', async () => {
    const first = `svc-${randomUUID()}`;
    const during: { role: string; labels: Record<string, string> }[] = [];
    const report = await grade(first, {
      // 'starting' is recorded once the services are ready, before the candidate's service starts.
      onStage: async (stage) => {
        if (stage === 'starting') for (const c of await containersOf(first)) during.push({ role: c.Labels[LABEL_ROLE]!, labels: c.Labels });
      },
    });
    expectAllPassed(report);
    // (Other containers of the job, e.g. an analysis beside the tests, may be there too.)
    expect(during.map((c) => c.role)).toEqual(expect.arrayContaining(['candidate', 'grader', 'service-postgres', 'service-redis']));
    expect(during.filter((c) => c.role.startsWith('service-'))).toHaveLength(2);
    for (const c of during) {
      // What the janitor sweeps by: the job, the worker and the deployment.
      expect(c.labels[LABEL_WORKER]).toBe(config.worker.id);
      expect(c.labels[LABEL_DEPLOYMENT]).toBe(config.redis.prefix);
    }
    // The report names each service's image and when it started.
    expect(report.services?.map((s) => s.name)).toEqual(['postgres', 'redis']);
    for (const s of report.services ?? []) {
      expect(s.image).toEqual(images.services?.[s.name as 'postgres' | 'redis']);
      expect(Date.parse(s.startedAt)).toBeGreaterThanOrEqual(Date.parse(report.startedAt));
      expect(s.readyMs).toBeGreaterThan(0);
      expect(s.readyMs).toBeLessThan(15_000);
    }
    expect(report.restarts).toEqual([expect.objectContaining({ test: 'restart.new-process', ok: true })]);
    expect(report.restarts![0]!.durationMs).toBeGreaterThanOrEqual(report.restarts![0]!.stopMs!);
    expect(report.steps.find((s) => s.name === 'start')?.log?.text).toContain('--- restarted by the grader (start 2) ---');
    expect(await containersOf(first)).toEqual([]);

    // A second job: pg.fresh and redis.fresh pass only on an empty database and an empty Redis.
    const second = `svc-${randomUUID()}`;
    expectAllPassed(await grade(second));
    expect(await containersOf(second)).toEqual([]);
  }, 180_000);

  it('a service that cannot start is a retryable platform error, and leaves nothing behind', async () => {
    const id = `svc-${randomUUID()}`;
    const broken: Images = { ...images, services: { ...images.services, postgres: { tag: 'assay-postgres:no-such-image', id: 'sha256:none' } } };
    const failure = await grade(id, { images: broken }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(failure).toBeInstanceOf(PlatformError);
    expect(failure).toMatchObject({ code: 'SERVICE_UNAVAILABLE', retryable: true, fault: 'platform' });
    expect((failure as Error).message).toContain('postgres');
    expect(await containersOf(id)).toEqual([]);
  }, 120_000);
});
