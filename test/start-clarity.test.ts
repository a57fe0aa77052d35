/**
 * A service that does not start tells the candidate why, graded for real (git over HTTP, the
 * queue, a worker, Docker, the API's candidate report):
 * - a service on a hard-coded port fails the start within seconds, and the reason names the
 *   port it listens on (the grader reads the shared network namespace's socket tables); one
 *   that opens another port first and PORT a few seconds later still starts;
 * - one bound to 127.0.0.1 on PORT is reached (the grader shares its namespace);
 * - an error written to stderr after ~22 KB of stdout is at the end of the candidate's tail,
 *   every time: the engine delivers stdout and stderr apart, and 3 runs in 10 had the error
 *   near the start of the captured log, cut out of the tail.
 */
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { useGradingStack } from './support/grading.ts';

const ADMIN = 'start-clarity-admin-key-0123456789';
const admin = { Authorization: `Bearer ${ADMIN}` };

// Several submissions of one repository at once: the caps on queued work are out of the way.
const grading = useGradingStack({ env: { ASSAY_API_KEYS: `ops:admin:${ADMIN}`, ASSAY_LOG_LEVEL: 'silent', ASSAY_MAX_QUEUED_PER_CANDIDATE: '100', ASSAY_RATE_LIMIT_PER_MINUTE: '10000' } });

interface CandidateStep {
  name: string;
  status: string;
  durationMs: number;
  reason?: string;
  logTail?: string;
}

/** A Node service for simple-api (`server.js`, no dependencies) submitted `times` times at once; the candidate's steps of each. */
async function gradeService(name: string, serverJs: string, times = 1): Promise<CandidateStep[][]> {
  const repo = await grading.git.addRepo(`${name}-${Math.random().toString(36).slice(2, 8)}.git`, {
    'package.json': JSON.stringify({ name, version: '1.0.0', private: true, scripts: { start: 'node server.js' } }),
    'server.js': serverJs,
  });
  const created = await Promise.all(Array.from({ length: times }, () => request(grading.stack.api.app).post('/v1/submissions').set(admin).send({ challenge: 'simple-api', repoUrl: repo.url, ref: 'main' })));
  return Promise.all(
    created.map(async (c) => {
      expect(c.status, JSON.stringify(c.body)).toBe(202);
      const final = await grading.stack.waitForFinal(c.body.id as string, 240_000);
      expect(final.status, JSON.stringify(final.error)).toBe('completed');
      const report = await request(grading.stack.api.app).get(`/v1/submissions/${final.id}/report`).set('Authorization', `Bearer ${c.body.accessToken}`);
      expect(report.status).toBe(200);
      return report.body.steps as CandidateStep[];
    }),
  );
}

const startOf = (steps: CandidateStep[]) => steps.find((s) => s.name === 'start');

describe('a service that listens where the grader does not look', () => {
  it('on a hard-coded port: the start fails within seconds and says which port, and what to do', async () => {
    const [steps] = await gradeService('port-3000', "require('node:http').createServer((req, res) => res.end('{}')).listen(3000, () => console.log('listening on http://localhost:3000'));\n");
    const start = startOf(steps!);
    expect(start).toMatchObject({ status: 'failed', reason: 'the service listens on port 3000, not on 8080: read the port from the PORT environment variable (PORT=8080)' });
    // Not the 10 s start timeout: the grace (half of it, 5 s) after the service listened on 3000.
    expect(start!.durationMs).toBeLessThan(9000);
    expect(start!.logTail).toContain('listening on http://localhost:3000');
    expect(steps!.find((s) => s.name === 'test')).toMatchObject({ status: 'skipped' });
  }, 300_000);

  it('another port first and PORT 3 s later (an admin port, a slow start): started, not failed early', async () => {
    const server = `
const http = require('node:http');
http.createServer((req, res) => res.end('metrics')).listen(9100);
setTimeout(() => http.createServer((req, res) => {
  res.writeHead(req.url === '/health' ? 200 : 404, { 'content-type': 'application/json' });
  res.end('{"status":"ok"}');
}).listen(Number(process.env.PORT)), 3000);
`;
    const [steps] = await gradeService('admin-port-first', server);
    expect(startOf(steps!)).toMatchObject({ status: 'passed' });
  }, 300_000);

  it('bound to 127.0.0.1 on PORT: the grader shares its network namespace and reaches it', async () => {
    const server = `
require('node:http').createServer((req, res) => {
  res.writeHead(req.url === '/health' ? 200 : 404, { 'content-type': 'application/json' });
  res.end('{"status":"ok"}');
}).listen(Number(process.env.PORT), '127.0.0.1');
`;
    const [steps] = await gradeService('loopback-only', server);
    expect(startOf(steps!)).toMatchObject({ status: 'passed' });
    expect(startOf(steps!)).not.toHaveProperty('reason');
  }, 300_000);
});

describe('a crash whose message went to stderr after much stdout', () => {
  it('ends the candidate tail with the error, in every one of several runs', async () => {
    // ~22 KB of request logs on stdout, then the crash on stderr, then exit 1.
    const server = `
for (let i = 0; i < 300; i++) console.log('GET /tasks 200 ' + i + ' ms - ' + 'x'.repeat(50));
console.error('Error: connect ECONNREFUSED 127.0.0.1:27017 (MONGO_URL is not set)');
console.error('    at bootDatabase (/workspace/server.js:4:9)');
process.exit(1);
`;
    const runs = await gradeService('stderr-after-stdout', server, 8);
    for (const steps of runs) {
      const start = startOf(steps);
      expect(start).toMatchObject({ status: 'failed', reason: 'the service exited with code 1 before accepting connections' });
      const tail = start!.logTail ?? '';
      expect(tail, `the end of the tail: ${tail.slice(-600)}`).toContain('Error: connect ECONNREFUSED 127.0.0.1:27017 (MONGO_URL is not set)\n    at bootDatabase (/workspace/server.js:4:9)');
      // Near the very end, where the candidate looks first (and where a shorter tail, the CLI's 1,500 characters, still has it).
      expect(tail.slice(-1500)).toContain('at bootDatabase (/workspace/server.js:4:9)');
      expect(tail.length).toBeLessThanOrEqual(4002);
    }
  }, 600_000);
});
