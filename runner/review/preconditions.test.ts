import { describe, expect, it } from 'vitest';
import { checkReviewPreconditions, versionOfEtag } from './preconditions.ts';
import { reviewEtag } from './review.ts';

describe('versionOfEtag', () => {
  it('reads the version of a strong review ETag and refuses everything else', () => {
    expect(versionOfEtag(reviewEtag(3))).toBe(3);
    expect(versionOfEtag(' "r12" ')).toBe(12);
    for (const bad of ['W/"r3"', 'r3', '"r0"', '"r-1"', '"x3"', '"r3', '*', '']) expect(versionOfEtag(bad)).toBeUndefined();
  });
});

describe('checkReviewPreconditions', () => {
  it('creates the first review without a header or with If-None-Match: *', () => {
    expect(checkReviewPreconditions(0, undefined, undefined)).toEqual({ ok: true, expectedVersion: 0 });
    expect(checkReviewPreconditions(0, undefined, '*')).toEqual({ ok: true, expectedVersion: 0 });
  });

  it('requires If-Match (428) once a review exists', () => {
    expect(checkReviewPreconditions(2, undefined, undefined)).toMatchObject({ ok: false, failure: 'required' });
  });

  it('refuses If-None-Match: * when a review exists, and any If-Match when none does (412)', () => {
    expect(checkReviewPreconditions(1, undefined, '*')).toMatchObject({ ok: false, failure: 'failed' });
    expect(checkReviewPreconditions(0, '"r1"', undefined)).toMatchObject({ ok: false, failure: 'failed' });
    expect(checkReviewPreconditions(0, '*', undefined)).toMatchObject({ ok: false, failure: 'failed' });
  });

  it('writes on the current ETag (also within a list, or *), and refuses an older one or a weak one', () => {
    expect(checkReviewPreconditions(3, '"r3"', undefined)).toEqual({ ok: true, expectedVersion: 3 });
    expect(checkReviewPreconditions(3, '"r1", "r3"', undefined)).toEqual({ ok: true, expectedVersion: 3 });
    expect(checkReviewPreconditions(3, '*', undefined)).toEqual({ ok: true, expectedVersion: 3 });
    expect(checkReviewPreconditions(3, '"r2"', undefined)).toMatchObject({ ok: false, failure: 'failed' });
    expect(checkReviewPreconditions(3, 'W/"r3"', undefined)).toMatchObject({ ok: false, failure: 'failed' });
    expect(checkReviewPreconditions(3, 'garbage', undefined)).toMatchObject({ ok: false, failure: 'failed' });
  });

  it('refuses an If-None-Match other than *, both headers at once, and an oversized If-Match (400)', () => {
    expect(checkReviewPreconditions(0, undefined, '"r1"')).toMatchObject({ ok: false, failure: 'malformed' });
    expect(checkReviewPreconditions(1, '"r1"', '*')).toMatchObject({ ok: false, failure: 'malformed' });
    expect(checkReviewPreconditions(1, `"r1"${' '.repeat(1000)}`, undefined)).toMatchObject({ ok: false, failure: 'malformed' });
  });
});
