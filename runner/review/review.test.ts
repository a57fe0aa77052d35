import { describe, expect, it } from 'vitest';
import { nextReviewVersion, reviewInputSchema, withScores, MAX_NOTE_CHARS } from './review.ts';
import { ReviewSettingsSchema, RubricSchema } from './rubric.ts';

const rubric = RubricSchema.parse([
  { id: 'code-structure', title: 'Code structure', description: 'clear modules', maxPoints: 5 },
  { id: 'readme', title: 'README', description: 'how to run it', maxPoints: 3 },
]);
const settings = ReviewSettingsSchema.parse({ rubricWeight: 0.25 });
const schema = reviewInputSchema(rubric);
const full = { criteria: [{ id: 'code-structure', points: 4, note: 'tidy' }, { id: 'readme', points: 3 }], note: 'good' };

describe('reviewInputSchema', () => {
  it('accepts one whole score per criterion, and defaults the status to submitted', () => {
    expect(schema.parse(full).status).toBe('submitted');
    expect(schema.parse({ ...full, status: 'draft' }).status).toBe('draft');
  });

  it.each([
    ['an unknown criterion', { criteria: [...full.criteria, { id: 'tests', points: 1 }] }, /not a criterion/],
    ['a missing criterion', { criteria: [full.criteria[0]] }, /missing: readme/],
    ['a criterion twice', { criteria: [full.criteria[0], { id: 'code-structure', points: 1 }, full.criteria[1]] }, /./],
    ['points above the maximum', { criteria: [full.criteria[0], { id: 'readme', points: 4 }] }, /at most 3 points/],
    ['negative points', { criteria: [full.criteria[0], { id: 'readme', points: -1 }] }, /./],
    ['fractional points', { criteria: [full.criteria[0], { id: 'readme', points: 1.5 }] }, /whole number/],
    ['a note too long', { ...full, note: 'x'.repeat(MAX_NOTE_CHARS + 1) }, /at most 4000/],
    ['an unknown field', { ...full, score: 100 }, /./],
    ['an unknown status', { ...full, status: 'final' }, /./],
  ])('refuses %s', (_what, body, message) => {
    const parsed = schema.safeParse(body);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((i) => i.message).join('\n')).toMatch(message);
  });
});

describe('nextReviewVersion and withScores', () => {
  const reviewer = { name: 'rita', role: 'reviewer' as const };
  const base = { submissionId: 's1', rubric, settings, challengeVersion: '1.0.0', now: new Date('2026-12-01T12:00:00Z') };

  it('numbers versions, snapshots the rubric and weight, and records who submitted', () => {
    const draft = nextReviewVersion(schema.parse({ ...full, status: 'draft' }), { ...base, previous: undefined, reviewer });
    expect(draft).toMatchObject({ version: 1, status: 'draft', reviewer: 'rita', role: 'reviewer', updatedAt: '2026-12-01T12:00:00.000Z', rubricWeight: 0.25, submittedBy: [] });
    expect(draft.criteria).toEqual([{ id: 'code-structure', title: 'Code structure', maxPoints: 5, points: 4, note: 'tidy' }, { id: 'readme', title: 'README', maxPoints: 3, points: 3 }]);
    const submitted = nextReviewVersion(schema.parse(full), { ...base, previous: draft, reviewer });
    expect(submitted).toMatchObject({ version: 2, status: 'submitted', submittedBy: ['rita'] });
    const byAdmin = nextReviewVersion(schema.parse({ ...full, status: 'draft' }), { ...base, previous: submitted, reviewer: { name: 'ada', role: 'admin' } });
    expect(byAdmin).toMatchObject({ version: 3, status: 'draft', reviewer: 'ada', submittedBy: ['rita'] });
  });

  it('computes the rubric percent and the weighted total against the automated score', () => {
    const v = nextReviewVersion(schema.parse(full), { ...base, previous: undefined, reviewer });
    const scored = withScores(v, 60);
    expect(scored).toMatchObject({ etag: '"r1"', rubric: { points: 7, maxPoints: 8, percent: 87.5 }, rubricPercent: 87.5, automatedPercent: 60, totalPercent: 66.9 });
    expect(withScores(v, null).totalPercent).toBeNull();
  });
});
