/**
 * The realistic submissions of test/fixtures/realistic/<case>/ (see its README) as repositories:
 * the case's folder without case.json, plus the files it takes from other cases (`copies`).
 */
import { readFileSync } from 'node:fs';
import { cp, mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export const REALISTIC_ROOT = 'test/fixtures/realistic';

/** Writes the repository of case `name` into a new temp dir and returns it (the caller removes it). */
export async function realisticRepo(name: string): Promise<string> {
  const dir = path.join(REALISTIC_ROOT, name);
  const spec = JSON.parse(readFileSync(path.join(dir, 'case.json'), 'utf8')) as { copies?: Record<string, string> };
  const work = await mkdtemp(path.join(os.tmpdir(), 'assay-realistic-'));
  await cp(dir, work, { recursive: true, filter: (src) => path.basename(src) !== 'case.json' });
  for (const [target, source] of Object.entries(spec.copies ?? {})) await cp(path.join(REALISTIC_ROOT, source), path.join(work, target));
  return work;
}
