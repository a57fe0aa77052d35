import { describe, expect, it } from 'vitest';
import { ManifestSchema } from '../runner/challenges/manifest.ts';
import { REPORT_SCHEMA_VERSION, type Report, type TestResult } from '../runner/report/schema.ts';
import { visibleHints } from './feedback.ts';
import { candidateReport } from './views.ts';

const manifest = ManifestSchema.parse({
  id: 'simple-api',
  title: 'T',
  version: '1.0.0',
  kind: 'service',
  runtimes: ['node'],
  suite: {},
  tests: [
    { id: 'core.health', name: 'health', category: 'core', points: 3, visibility: 'visible', hint: 'Answer GET /health with 200.' },
    { id: 'core.create', name: 'create', category: 'core', points: 5, visibility: 'visible', hint: 'POST /tasks answers 201 with the task.' },
    { id: 'core.created-at-iso', name: 'iso', category: 'core', points: 3, visibility: 'hidden', hint: 'HIDDEN HINT: use toISOString' },
    { id: 'validation.missing-title', name: 'title', category: 'validation', points: 3, visibility: 'visible' },
  ],
});

const test = (id: string, status: TestResult['status'], visibility: TestResult['visibility']): TestResult => ({ id, name: id, category: 'core', status, points: status === 'passed' ? 3 : 0, maxPoints: 3, visibility });

/** A graded report: core.health passed, core.create failed, a hidden test failed; the start step passed. */
function fixtureReport(id: string): Report {
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    submissionId: id,
    attempt: 1,
    challenge: { id: 'simple-api', version: '1.0.0', suiteHash: 'x' },
    repoUrl: 'https://example.com/a.git',
    ref: 'main',
    commit: 'c'.repeat(40),
    status: 'completed',
    runtime: 'node',
    score: { points: 3, maxPoints: 9, percent: 33.3 },
    categories: [],
    tests: [test('core.health', 'passed', 'visible'), { ...test('core.create', 'failed', 'visible'), message: 'expected 201, got 500' }, test('core.created-at-iso', 'failed', 'hidden')],
    steps: [{ name: 'start', status: 'passed', durationMs: 800, log: { text: 'listening', totalBytes: 9, cutBytes: 0 } }],
    flags: [],
    resources: { oomKilled: false, memoryLimitMb: 256, cpus: 1, pidsLimit: 256 },
    timings: {},
    runner: { version: '0', workerId: 'w', images: {} },
    startedAt: '2030-01-01T00:00:01.000Z',
    finishedAt: '2030-01-01T00:00:02.000Z',
  };
}

describe('visibleHints', () => {
  it('maps the visible tests that have a hint, never a hidden one', () => {
    expect([...visibleHints(manifest, { id: 'simple-api', version: '1.0.0' })]).toEqual([
      ['core.health', 'Answer GET /health with 200.'],
      ['core.create', 'POST /tasks answers 201 with the task.'],
    ]);
  });

  it('gives none for a report graded by another version or challenge', () => {
    expect(visibleHints(manifest, { id: 'simple-api', version: '1.1.0' }).size).toBe(0);
    expect(visibleHints(manifest, { id: 'other', version: '1.0.0' }).size).toBe(0);
  });
});

describe('candidateReport with feedback', () => {
  it('puts the hint on a visible test that failed only, and never shows hidden tests or their hints', () => {
    const report = fixtureReport('sub-1');
    const view = candidateReport(report, { hints: visibleHints(manifest, report.challenge), attempt: { number: 2, max: 3 } });
    const byId = new Map(view.tests.map((t) => [t.id, t]));
    expect(byId.get('core.create')?.hint).toBe('POST /tasks answers 201 with the task.');
    expect(byId.get('core.health')?.status).toBe('passed');
    expect(byId.get('core.health')?.hint).toBeUndefined();
    expect(byId.has('core.created-at-iso')).toBe(false);
    expect(JSON.stringify(view)).not.toContain('HIDDEN HINT');
    expect(view.candidateAttempt).toEqual({ number: 2, max: 3 });
  });

  it('without feedback: no hints, no attempt', () => {
    const view = candidateReport(fixtureReport('sub-2'));
    expect(view.tests.some((t) => t.hint !== undefined)).toBe(false);
    expect(view.candidateAttempt).toBeUndefined();
  });

  it("a failed start's tail has no terminal escapes and no secrets, and is capped", () => {
    const report = fixtureReport('sub-3');
    const log = `${'boot noise\n'.repeat(1000)}\u001b[31mAPI_TOKEN=\u001b[0msk-live-1234567890\nghp_${'a'.repeat(36)}\nError: listen EADDRINUSE\n`;
    report.steps = report.steps.map((s) => (s.name === 'start' ? { ...s, status: 'failed', log: { text: log, totalBytes: log.length, cutBytes: 0 } } : s));
    const tail = candidateReport(report).steps.find((s) => s.name === 'start')?.logTail ?? '';
    expect(tail.length).toBeLessThanOrEqual(4002);
    expect(tail).toContain('Error: listen EADDRINUSE');
    expect(tail).not.toContain('\u001b');
    expect(tail).not.toContain('sk-live-1234567890');
    expect(tail).not.toContain('ghp_');
    expect(tail.startsWith('…')).toBe(true);
  });
});
