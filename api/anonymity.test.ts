import { describe, expect, it } from 'vitest';
import { REPORT_SCHEMA_VERSION, type Report } from '../runner/report/schema.ts';
import { newSubmissionRecord } from '../runner/store/submissions.ts';
import { anonymise, anonymiseReport, HIDDEN, identityHidden } from './anonymity.ts';

const rita = { name: 'rita', role: 'reviewer' as const };

/** A small report with a history of two commits by the candidate (unit tests may not use runner/devtools). */
function report(id: string, commit: string): Report {
  const at = '2026-12-01T12:00:00.000Z';
  const change = { at, subject: 'add tasks', added: 10, removed: 1, files: 2, touchesTests: false };
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    submissionId: id,
    attempt: 1,
    challenge: { id: 'simple-api', version: '1.0.0', suiteHash: 'ab'.repeat(32) },
    repoUrl: 'https://git.example.com/ada/take-home.git',
    ref: 'ada-solution',
    commit,
    status: 'completed',
    runtime: 'node',
    score: { points: 3, maxPoints: 6, percent: 50 },
    categories: [{ category: 'core', points: 3, maxPoints: 6 }],
    tests: [{ id: 'core.health', name: 'GET /health returns 200', category: 'core', status: 'passed', points: 3, maxPoints: 3, durationMs: 5, visibility: 'visible' }],
    steps: [{ name: 'fetch', status: 'passed', durationMs: 300, log: { text: 'cloned', totalBytes: 6, cutBytes: 0 } }],
    flags: [],
    resources: { oomKilled: false, memoryLimitMb: 256, cpus: 1, pidsLimit: 256 },
    timings: { totalMs: 1000 },
    runner: { version: '0.1.0', workerId: 'w', images: {} },
    insights: {
      notes: [],
      history: {
        status: 'read', commits: 2, maxCommits: 100, truncated: false, activeDays: 1, authors: 1, testCommits: 0, linesAdded: 20, linesRemoved: 2,
        timeline: [{ ...change, sha: commit, author: 'Ada Lovelace' }, { ...change, sha: 'f'.repeat(40), author: 'Ada L.' }],
      },
    },
    startedAt: at,
    finishedAt: at,
  };
}

describe('identityHidden', () => {
  it('hides from a reviewer of an anonymous challenge until they have submitted a review', () => {
    expect(identityHidden({ anonymous: true }, rita, undefined)).toBe(true);
    expect(identityHidden({ anonymous: true }, rita, { submittedBy: ['remy'] })).toBe(true);
    expect(identityHidden({ anonymous: true }, rita, { submittedBy: ['remy', 'rita'] })).toBe(false);
  });

  it('never hides from admins, nor anything when the challenge is not anonymous (or unknown)', () => {
    expect(identityHidden({ anonymous: true }, { name: 'ada', role: 'admin' }, undefined)).toBe(false);
    expect(identityHidden({ anonymous: false }, rita, undefined)).toBe(false);
    expect(identityHidden(undefined, rita, undefined)).toBe(false);
  });
});

describe('anonymise and anonymiseReport', () => {
  const record = {
    ...newSubmissionRecord({ challenge: 'simple-api', repoUrl: 'https://git.example.com/ada/take-home.git', ref: 'ada-solution', candidate: { name: 'Ada Lovelace', email: 'ada@example.com', externalId: 'ats-4711' }, callbackUrl: 'https://ats.example.com/hook?c=ats-4711', accessToken: 't' }),
    commit: 'c0ffee'.repeat(6) + 'abcd',
  };

  it('drops the candidate, commit and callback, and replaces repository and ref', () => {
    const shown = anonymise(record);
    expect(shown).toMatchObject({ id: record.id, challenge: 'simple-api', repoUrl: HIDDEN, ref: HIDDEN });
    for (const field of ['candidate', 'commit', 'pinnedCommit', 'callbackUrl'] as const) expect(shown[field]).toBeUndefined();
    expect(anonymise({ ...record, ref: null }).ref).toBeNull();
  });

  it('replaces the identity wherever the report repeats it, and the history authors, and keeps the rest', () => {
    const original = report(record.id, record.commit);
    original.steps[0]!.log = { text: `cloning https://git.example.com/ada/take-home.git at ${record.commit} for Ada Lovelace`, totalBytes: 10, cutBytes: 0 };
    original.flags = [{ code: 'files_dropped', message: 'see git.example.com/ada/take-home, mail ada@example.com' }];
    const shown = anonymiseReport(original, record);
    const json = JSON.stringify(shown);
    for (const secret of ['git.example.com/ada/take-home', 'Ada Lovelace', 'ada@example.com', record.commit]) expect(json).not.toContain(secret);
    expect(shown).toMatchObject({ repoUrl: HIDDEN, ref: HIDDEN, commit: null });
    expect(shown.steps[0]!.log!.text).toBe(`cloning ${HIDDEN} at ${HIDDEN} for ${HIDDEN}`);
    const timeline = shown.insights?.history?.timeline ?? [];
    expect(timeline).toHaveLength(2);
    for (const c of timeline) expect([c.author, c.sha]).toEqual([HIDDEN, HIDDEN]);
    expect(shown.tests).toEqual(original.tests);
    expect(shown.score).toEqual(original.score);
  });
});
