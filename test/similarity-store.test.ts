/**
 * The similarity store on a real Redis: a new submission is compared with the stored ones of its
 * challenge only, its pairs are recorded for both sides, a rerun replaces its fingerprints and
 * pairs, and maxScoreFor / challengePairs read what the dashboard and the challenge page show.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type TestRedis } from '../runner/devtools/redis.ts';
import type { Print, SubmissionPrints } from '../runner/similarity/compare.ts';
import { createRedis, type Redis } from '../runner/store/redis.ts';
import { SubmissionStore } from '../runner/store/submissions.ts';
import { buildConfig } from '../runner/config.ts';
import { testEnv } from '../runner/devtools/stack.ts';

let redis: TestRedis;
let conn: Redis;
let store: SubmissionStore;
const settings = { threshold: 0.5, minFragmentLines: 3 };

beforeAll(async () => {
  redis = await startRedis();
  const config = buildConfig({ ...process.env, ...testEnv(redis.url) });
  conn = createRedis(config);
  store = new SubmissionStore(conn, config.redis.prefix);
});
afterAll(async () => {
  await conn?.quit();
  await redis?.stop();
});

/** A one-file submission: a fingerprint per line, hashes from `hashes`. */
function submission(file: string, hashes: number[], firstLine = 1): SubmissionPrints {
  const prints: Print[] = hashes.map((h, i) => [h, 0, i, firstLine + i, firstLine + i]);
  return { files: [{ path: file, language: 'javascript', lines: hashes.map((h) => `line ${h}`) }], prints, starterPrints: 0, notes: [] };
}
const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);

describe('SimilarityStore', () => {
  it('compares a new submission with the stored ones of its challenge and records the pair for both', async () => {
    const s = store.similarity;
    await s.record({ id: 'a1', challenge: 'ch1', run: 1, prints: submission('src/a.js', range(1000, 40)), settings });
    await s.record({ id: 'other-challenge', challenge: 'ch2', run: 1, prints: submission('x.js', range(1000, 40)), settings });
    const b = await s.record({ id: 'b1', challenge: 'ch1', run: 1, prints: submission('lib/b.js', [...range(1000, 36), ...range(5000, 4)], 11), settings });
    expect(b.compared).toBe(1); // a1 only: ch2's submission is another challenge's
    expect(b.pairs).toHaveLength(1);
    expect(b.pairs[0]).toMatchObject({ submissionId: 'a1', score: 0.9, sharedPrints: 36 });
    expect(b.pairs[0]!.fragments[0]).toMatchObject({ file: 'lib/b.js', lines: { start: 11, end: 46 }, otherFile: 'src/a.js', otherLines: { start: 1, end: 36 } });
    const fromA = await s.pairsFor('a1');
    expect(fromA.map((p) => p.submissionId)).toEqual(['b1']);
    expect(fromA[0]!.fragments[0]).toMatchObject({ file: 'src/a.js', lines: { start: 1, end: 36 }, otherFile: 'lib/b.js', otherLines: { start: 11, end: 46 } });
    expect(await s.maxScoreFor(['a1', 'b1', 'nobody'])).toEqual(new Map([['a1', 0.9], ['b1', 0.9]]));
    const listed = await s.challengePairs('ch1');
    expect(listed).toHaveLength(1);
    expect([listed[0]!.ofSubmissionId, listed[0]!.submissionId].sort()).toEqual(['a1', 'b1']);
    expect(await s.challengePairs('ch2')).toEqual([]);
    expect((await s.printsOf('a1'))?.files[0]?.lines?.[0]).toBe('line 1000');
  });

  it('leaves pairs below the threshold out', async () => {
    const r = await store.similarity.record({ id: 'c1', challenge: 'ch1', run: 1, prints: submission('c.js', [...range(1000, 10), ...range(7000, 60)]), settings });
    expect(r.compared).toBe(2);
    expect(r.pairs).toEqual([]);
    expect(await store.similarity.pairsFor('c1')).toEqual([]);
  });

  it('replaces a rerun\'s fingerprints and pairs, on both sides', async () => {
    const s = store.similarity;
    const rerun = await s.record({ id: 'b1', challenge: 'ch1', run: 2, prints: submission('lib/b.js', range(9000, 40)), settings });
    expect(rerun.pairs).toEqual([]);
    expect(await s.pairsFor('a1')).toEqual([]);
    expect(await s.maxScoreFor(['a1', 'b1'])).toEqual(new Map());
    expect(await s.challengePairs('ch1')).toEqual([]);
    expect((await s.printsOf('b1'))?.run).toBe(2);
    // A run without fingerprints (the analyser could not take them) keeps its notes and pairs with nobody.
    await s.record({ id: 'b1', challenge: 'ch1', run: 3, prints: { files: [], prints: [], starterPrints: 0, notes: [{ code: 'failed', message: 'no parser' }] }, settings });
    expect((await s.printsOf('b1'))?.notes).toEqual([{ code: 'failed', message: 'no parser' }]);
    const again = await s.record({ id: 'd1', challenge: 'ch1', run: 1, prints: submission('d.js', range(9000, 40)), settings });
    expect(again.compared).toBe(2); // a1 and c1: b1 has no fingerprints any more
  });
});
