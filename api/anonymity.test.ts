import { describe, expect, it } from 'vitest';
import { fixtureInsights } from '../runner/devtools/insights-fixture.ts';
import { fixtureReport } from '../runner/devtools/ui-fixture.ts';
import { newSubmissionRecord } from '../runner/store/submissions.ts';
import { anonymise, anonymiseReport, HIDDEN, identityHidden } from './anonymity.ts';

const rita = { name: 'rita', role: 'reviewer' as const };

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
    const report = fixtureReport(record.id, { hostile: false, insights: fixtureInsights({ hostile: false }) });
    report.commit = record.commit;
    report.steps[0]!.log = { text: `cloning https://git.example.com/ada/take-home.git at ${record.commit} for Ada Lovelace`, totalBytes: 10, cutBytes: 0 };
    report.flags = [{ code: 'files_dropped', message: 'see git.example.com/ada/take-home, mail ada@example.com' }];
    const shown = anonymiseReport(report, record);
    const json = JSON.stringify(shown);
    for (const secret of ['git.example.com/ada/take-home', 'Ada Lovelace', 'ada@example.com', record.commit]) expect(json).not.toContain(secret);
    expect(shown).toMatchObject({ repoUrl: HIDDEN, ref: HIDDEN, commit: null });
    expect(shown.steps[0]!.log!.text).toBe(`cloning ${HIDDEN} at ${HIDDEN} for ${HIDDEN}`);
    const timeline = shown.insights?.history?.timeline ?? [];
    expect(timeline.length).toBeGreaterThan(0);
    for (const c of timeline) expect([c.author, c.sha]).toEqual([HIDDEN, HIDDEN]);
    expect(shown.tests).toEqual(report.tests);
    expect(shown.score).toEqual(report.score);
  });
});
