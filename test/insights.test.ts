/**
 * insights.lint, .size, .hygiene and .diff end to end: the real pipeline (gradeSubmission), the
 * real Docker engine and the locally built images (the analysis image included), the built-in
 * challenges. The references, starters and variants of simple-api and debug-app get insights
 * that tell them apart; repositories that break an analyser (a syntax error, binary files, deep
 * nesting, a 50 MB minified file, 10,000 tiny files) get a capped or partial insight with a
 * note and are graded as usual; a worker without the analysis image still grades.
 */
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ChallengeRepository } from '../runner/challenges/repository.ts';
import { loadConfig } from '../runner/config.ts';
import { docker, images, uniqueId } from '../runner/devtools/env.ts';
import { createLogger } from '../runner/log.ts';
import { gradeSubmission } from '../runner/pipeline/grade.ts';
import type { Insights, InsightNote } from '../runner/report/insights.ts';
import type { Report } from '../runner/report/schema.ts';
import { countManaged, type Images } from '../runner/sandbox/index.ts';
import { useScratch } from './support/scratch.ts';

const log = createLogger('warn');
// Room for the big and the many-files cases: the pack limits are the operator's, not the analyser's.
const config = loadConfig({ ASSAY_PACK_MAX_FILES: '20000', ASSAY_PACK_MAX_BYTES: String(120 * 1024 * 1024), ASSAY_FETCH_MAX_BYTES: String(200 * 1024 * 1024) });
const challenges = new ChallengeRepository('challenges', config.maxima);

const scratch = useScratch('assay-insights-');

async function grade(challengeId: string, localPath: string, imgs: Images = images): Promise<Report> {
  const submissionId = uniqueId('insights');
  const report = await gradeSubmission({ submissionId, attempt: 1, challengeId, localPath }, { config, docker, images: imgs, challenges, log });
  expect(report.status, JSON.stringify(report.error)).toBe('completed');
  // The analysis container went with the others.
  expect(await countManaged(docker, submissionId)).toBe(0);
  return report;
}

function insightsOf(report: Report): Insights {
  expect(report.schemaVersion).toBe(2);
  expect(report.insights, 'insights').toBeDefined();
  return report.insights!;
}

const notes = (i: Insights, analysis?: InsightNote['analysis']) => i.notes.filter((n) => !analysis || n.analysis === analysis);
const changed = (i: Insights) => (i.diff ? i.diff.linesAdded + i.diff.linesRemoved : 0);

describe('references, starters and variants get insights that tell them apart', () => {
  it('debug-app: the starter has changed nothing, the half-fixed variant a little, the reference fixed the bugs and added tests', async () => {
    const starter = insightsOf(await grade('debug-app', 'challenges/debug-app/starter'));
    const half = insightsOf(await grade('debug-app', 'challenges/debug-app/variants/half-fixed'));
    const fixed = insightsOf(await grade('debug-app', 'challenges/debug-app/reference/fixed'));

    // Diff against the starter.
    expect(starter.diff).toMatchObject({ filesChanged: 0, linesAdded: 0, linesRemoved: 0, files: [], patch: '' });
    expect(changed(half)).toBeGreaterThan(0);
    expect(changed(fixed)).toBeGreaterThan(changed(half));
    expect(fixed.diff!.files).toContainEqual(expect.objectContaining({ path: 'test/regressions.test.js', status: 'added' }));
    expect(fixed.diff!.files.find((f) => f.path === 'src/money.js')).toMatchObject({ status: 'modified', added: 1, removed: 1 });
    expect(fixed.diff!.patch).toContain('+++ b/src/money.js');
    // The fix, not a rewrite: a few lines of the app's sources changed.
    const appLines = fixed.diff!.files.filter((f) => f.path.startsWith('src/')).reduce((n, f) => n + f.added + f.removed, 0);
    expect(appLines).toBeLessThan(20);

    // Lint covers what the candidate wrote or changed: nothing for the starter, with a note.
    expect(starter.lint).toBeUndefined();
    expect(notes(starter, 'lint')).toContainEqual(expect.objectContaining({ code: 'skipped', message: expect.stringContaining("starter's, unchanged") }));
    expect(half.lint!.files).toBeGreaterThan(0);
    expect(fixed.lint!.files).toBeGreaterThan(half.lint!.files);
    expect(fixed.lint!.tools.map((t) => t.name)).toEqual(['eslint']);
    expect(fixed.lint!.config).toBe('assay-lint@1');

    // Size and hygiene describe the whole submission.
    expect(fixed.size!.byLanguage[0]).toMatchObject({ language: 'JavaScript' });
    expect(fixed.size!.lines).toBeGreaterThan(starter.size!.lines);
    expect(fixed.size!.longestFunctions[0]).toMatchObject({ file: 'src/app.js', name: 'createApp' });
    expect(fixed.size!.mostComplex[0]!.complexity).toBeGreaterThan(3);
    expect(starter.hygiene).toMatchObject({ gitignore: true, lockfiles: ['package-lock.json'], committed: [], secrets: [] });
  });

  it('simple-api: the starter, the partial variant and the Node and Python references differ in lint, size and diff', async () => {
    const starter = insightsOf(await grade('simple-api', 'challenges/simple-api/starter'));
    const partial = insightsOf(await grade('simple-api', 'challenges/simple-api/variants/partial'));
    const node = insightsOf(await grade('simple-api', 'challenges/simple-api/reference/node'));
    const python = insightsOf(await grade('simple-api', 'challenges/simple-api/reference/python'));

    expect(changed(starter)).toBe(0);
    expect(starter.lint).toBeUndefined();
    expect(changed(partial)).toBeGreaterThan(0);
    expect(changed(node)).toBeGreaterThan(changed(partial));
    expect(node.size!.lines).toBeGreaterThan(partial.size!.lines);

    expect(partial.lint!.tools.map((t) => t.name)).toEqual(['eslint']);
    expect(node.lint!.files).toBeGreaterThan(0);
    expect(node.size!.byLanguage[0]!.language).toBe('JavaScript');

    // The Python reference: linted with Ruff, measured as Python, and a rewrite of the Node starter.
    expect(python.lint!.tools.map((t) => t.name)).toEqual(['ruff']);
    expect(python.size!.byLanguage[0]!.language).toBe('Python');
    expect(python.size!.mostComplex.length).toBeGreaterThan(0);
    expect(python.diff!.files).toContainEqual(expect.objectContaining({ path: 'server.js', status: 'removed' }));
    expect(python.hygiene!.readme.present).toBe(false);
  });
});

describe('a repository that breaks an analyser gets a capped or partial insight with a note, never a failed grade', () => {
  const reference = 'challenges/simple-api/reference/node';

  it('a syntax error, binary files, deeply nested code and folders', async () => {
    let deepDir = '';
    for (let i = 0; i < 45; i++) deepDir += `d${i}/`;
    const dir = await scratch.variantOf(reference, 'broken-analysers', {
      'lib/broken.js': 'export function (\n',
      'lib/blob.js': Buffer.concat([Buffer.from('const a = 1;\n'), randomBytes(4096), Buffer.alloc(64)]),
      'assets/logo.png': randomBytes(20_000),
      // Nesting deep enough to exhaust a recursive parser's stack (one bracket a line: not minified).
      'lib/deep.js': `export const deep = ${'[\n'.repeat(20_000)}${']\n'.repeat(20_000)};\n`,
      'lib/deep.py': `x = ${'(\n'.repeat(5000)}1${')\n'.repeat(5000)}\n`,
      'lib/after_deep.py': 'import os\n',
      [`${deepDir}buried.js`]: 'export const buried = 1;\n',
      '.env': 'AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\n',
    });
    const report = await grade('simple-api', dir);
    expect(report.score.percent).toBe(100);
    const i = insightsOf(report);
    expect(i.lint!.top).toContainEqual(expect.objectContaining({ file: 'lib/broken.js', rule: 'parse-error', severity: 'error' }));
    expect(notes(i, 'lint')).toContainEqual(expect.objectContaining({ code: 'partial', message: expect.stringContaining('could not be parsed') }));
    expect(notes(i, 'lint')).toContainEqual(expect.objectContaining({ code: 'partial', message: expect.stringContaining('binary') }));
    expect(notes(i, 'size')).toContainEqual(expect.objectContaining({ code: 'capped', message: expect.stringContaining('nested deeper') }));
    // The deeply nested expressions cost their own file at most: the rest is linted and measured.
    expect(i.lint!.top).toContainEqual(expect.objectContaining({ file: 'lib/deep.js', rule: 'parse-error' }));
    expect(notes(i, 'lint')).toContainEqual(expect.objectContaining({ code: 'partial', message: expect.stringContaining('lib/deep.py could not be analysed') }));
    expect(i.lint!.top).toContainEqual(expect.objectContaining({ file: 'lib/after_deep.py', rule: 'ruff/F401' }));
    expect(i.lint!.files).toBeGreaterThan(3);
    expect(i.size!.byLanguage.map((l) => l.language)).toContain('JavaScript');
    // Hygiene: the committed .env and the key in it, masked.
    expect(i.hygiene!.committed).toContainEqual(expect.objectContaining({ kind: 'env_file', paths: ['.env'] }));
    expect(i.hygiene!.secrets).toEqual([{ file: '.env', line: 1, kind: 'aws_access_key', masked: 'AKIA******** (20 chars)' }]);
    expect(JSON.stringify(report)).not.toContain('AKIAIOSFODNN7EXAMPLE');
  });

  it('a 50 MB minified file is counted, not parsed', async () => {
    const dir = await scratch.variantOf(reference, 'huge-minified', { 'public/app.min.js': Buffer.alloc(50 * 1024 * 1024, 'a=1;') });
    const report = await grade('simple-api', dir);
    expect(report.score.percent).toBe(100);
    const i = insightsOf(report);
    expect(notes(i, 'size')).toContainEqual(expect.objectContaining({ code: 'capped', message: expect.stringContaining('public/app.min.js') }));
    expect(i.lint!.files).toBeGreaterThan(0);
    expect(i.lint!.top.some((f) => f.file === 'public/app.min.js')).toBe(false);
    expect(report.timings.analysis).toBeLessThan(30_000);
  });

  it('10,000 tiny files: lint and size stop at their caps, with a note', async () => {
    const files: Record<string, string> = {};
    for (let n = 0; n < 10_000; n++) files[`gen/${Math.floor(n / 500)}/f${n}.js`] = `export const v${n} = ${n};\n`;
    const dir = await scratch.variantOf(reference, 'many-files', files);
    const report = await grade('simple-api', dir);
    expect(report.score.percent).toBe(100);
    const i = insightsOf(report);
    expect(notes(i, 'lint').some((n) => n.code === 'capped' || n.code === 'timeout'), JSON.stringify(i.notes)).toBe(true);
    expect(i.lint!.files).toBeLessThanOrEqual(3000);
    expect(i.size!.files).toBeGreaterThan(10_000);
  });

  it('a run that ends before the pack gives up the early analysis container, without waiting for it', async () => {
    // The pack refuses the repository (too many files for this operator): the analyses never get their input.
    const strict = loadConfig({ ASSAY_PACK_MAX_FILES: '5' });
    const dir = await scratch.variantOf('challenges/simple-api/starter', 'too-many-files', Object.fromEntries(Array.from({ length: 10 }, (_, n) => [`f${n}.txt`, 'x'])));
    const submissionId = uniqueId('insights');
    const t0 = Date.now();
    const report = await gradeSubmission({ submissionId, attempt: 1, challengeId: 'simple-api', localPath: dir }, { config: strict, docker, images, challenges, log });
    expect(report.status).toBe('failed');
    expect(report.error?.code).toBe('REPO_TOO_MANY_FILES');
    expect(report.insights?.lint ?? report.insights?.size ?? report.insights?.hygiene ?? report.insights?.diff).toBeUndefined();
    expect(Date.now() - t0).toBeLessThan(20_000);
    expect(await countManaged(docker, submissionId)).toBe(0);
  });

  it('a submission with nothing to run gets hygiene, and a note instead of lint', async () => {
    const readme = '# My attempt\n\nI ran out of time.\n';
    const dir = await scratch.variantOf('challenges/simple-api/starter', 'nothing-to-run', { 'README.md': readme });
    await rm(path.join(dir, 'server.js'));
    await rm(path.join(dir, 'package.json'));
    const report = await grade('simple-api', dir);
    expect(report.score.percent).toBe(0);
    const i = insightsOf(report);
    expect(i.hygiene!.readme).toEqual({ present: true, file: 'README.md', bytes: Buffer.byteLength(readme), lines: 3 });
    expect(i.lint).toBeUndefined();
    expect(notes(i, 'lint')).toContainEqual(expect.objectContaining({ code: 'skipped', message: expect.stringContaining('not packed') }));
  });

  it('a worker without the analysis image grades as before; the insights say why lint, size and diff are missing', async () => {
    const { analysis: _unused, ...withoutAnalysis } = images;
    const report = await grade('simple-api', reference, withoutAnalysis as Images);
    expect(report.score.percent).toBe(100);
    const i = insightsOf(report);
    expect(i.lint).toBeUndefined();
    expect(i.hygiene).toBeDefined();
    expect(notes(i, 'lint')).toContainEqual(expect.objectContaining({ code: 'failed', message: expect.stringContaining('no analysis image') }));
  });
});
