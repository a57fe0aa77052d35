import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ReportBuilder } from '../report/builder.ts';
import type { MutantResult } from '../report/insights-tests.ts';
import type { Report } from '../report/schema.ts';
import { parseManifest } from './repository.ts';
import { validateChallenge } from './validate.ts';

const roots: string[] = [];
afterEach(async () => {
  for (const r of roots.splice(0)) await rm(r, { recursive: true, force: true });
});

const maxima = { memoryMb: 2048, cpus: 2, pids: 1024, stepTimeoutMs: 600_000 };

/** debug-app in a temporary root, its manifest changed by `edit`. */
async function debugApp(edit: (m: { mutants: { id: string; files: Record<string, string> }[] }) => void): Promise<string> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'assay-validate-mutants-'));
  roots.push(root);
  await cp('challenges/debug-app', path.join(root, 'debug-app'), { recursive: true });
  const file = path.join(root, 'debug-app', 'challenge.json');
  const manifest = JSON.parse(await readFile(file, 'utf8'));
  edit(manifest);
  await writeFile(file, JSON.stringify(manifest));
  return root;
}

/** A 100% report whose own tests missed the given mutants (a stand-in for the real pipeline). */
function gradeMissing(root: string, missedBy: (localPath: string) => string[]) {
  return async (input: { challengeId: string; localPath: string }): Promise<Report> => {
    const missed = missedBy(input.localPath);
    const manifestFile = path.join(root, input.challengeId, 'challenge.json');
    const manifest = parseManifest(await readFile(manifestFile), manifestFile);
    const report = new ReportBuilder({ submissionId: 's', attempt: 1, challengeId: input.challengeId, repoUrl: `file:${input.localPath}`, ref: 'HEAD', workerId: 'w' });
    report.setChallenge(manifest, 'hash');
    const details: MutantResult[] = manifest.mutants.map((m) => ({ id: m.id, description: m.description, outcome: missed.includes(m.id) ? 'missed' : 'caught' }));
    report.insight('ownTests', { status: 'passed', bugsCaught: { status: 'measured', caught: details.length - missed.length, of: details.length, durationMs: 1, details } });
    return report.completed({ runtime: 'node', results: manifest.tests.map((t) => ({ id: t.id, status: 'passed' as const })) });
  };
}

describe('validate and mutants', () => {
  it('refuses a mutant whose known-bad file does not exist', async () => {
    const root = await debugApp((m) => {
      m.mutants[0]!.files = { 'src/inventory.js': 'mutants/nowhere/src/inventory.js' };
    });
    const result = await validateChallenge({ rootDir: root, id: 'debug-app', runs: 1, maxima, grade: gradeMissing(root, () => []) });
    expect(result.problems).toContainEqual(expect.stringMatching(/mutants: last-units: mutants\/nowhere\/src\/inventory\.js \(the known-bad src\/inventory\.js\) does not exist/));
  });

  it('warns about a mutant that no reference’s own tests catch, and not about the starter’s', async () => {
    const root = await debugApp(() => {});
    const result = await validateChallenge({ rootDir: root, id: 'debug-app', runs: 1, maxima, grade: gradeMissing(root, () => ['oversell-race']) });
    expect(result.warnings).toContainEqual("mutants no reference's own tests catch (add a test to the reference, or check the mutant is a bug): oversell-race");
    const starterOnly = gradeMissing(root, (dir) => (dir.endsWith('starter') ? ['last-units', 'oversell-race'] : []));
    const clean = await validateChallenge({ rootDir: root, id: 'debug-app', runs: 1, maxima, grade: starterOnly });
    expect(clean.warnings.filter((w) => w.includes('mutants'))).toEqual([]);
  });
});
