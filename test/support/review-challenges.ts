/**
 * Challenges for the review tests (test/review.test.ts, test/ui-review.test.ts): copies of the
 * built-in simple-api (whose rubric is code structure 5, error handling 5, tests 5, README 3;
 * weight 0.3) in a temporary directory, under other ids: `anon-api` reviews anonymously,
 * `norubric-api` has no rubric.
 */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

const SOURCE = path.resolve('challenges/simple-api');

export interface ReviewChallenges {
  dir: string;
  close(): Promise<void>;
}

export async function reviewChallenges(): Promise<ReviewChallenges> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'assay-review-'));
  const source = JSON.parse(await readFile(path.join(SOURCE, 'challenge.json'), 'utf8')) as Record<string, unknown>;
  const variants: Record<string, Record<string, unknown>> = {
    'simple-api': source,
    'anon-api': { ...source, id: 'anon-api', review: { rubricWeight: 0.5, anonymous: true } },
    'norubric-api': { ...source, id: 'norubric-api', rubric: [], review: undefined },
  };
  for (const [id, manifest] of Object.entries(variants)) {
    await cp(SOURCE, path.join(dir, id), { recursive: true });
    await writeFile(path.join(dir, id, 'challenge.json'), JSON.stringify(manifest, null, 2));
  }
  return { dir, close: () => rm(dir, { recursive: true, force: true }) };
}

/** A complete review body for the simple-api rubric (18 points at most). */
export function fullReview(points: { structure?: number; errors?: number; tests?: number; readme?: number } = {}, extra: { status?: 'draft' | 'submitted'; note?: string } = {}) {
  return {
    ...extra,
    criteria: [
      { id: 'code-structure', points: points.structure ?? 4, note: 'routes and storage apart' },
      { id: 'error-handling', points: points.errors ?? 3 },
      { id: 'tests', points: points.tests ?? 2 },
      { id: 'readme', points: points.readme ?? 3 },
    ],
  };
}
