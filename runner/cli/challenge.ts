/**
 * `assay challenge ...`: the challenge authoring toolkit.
 *   assay challenge new <id> --kind service|tests [--dir <challenges-dir>] [--title <title>]
 *     Scaffolds a working challenge (manifest, brief, hidden suite, reference, starter, one
 *     known-bad variant) that validates as generated. Refuses to overwrite an existing folder.
 *   assay challenge validate <id> | --all [--runs <n>] [--dir <challenges-dir>] [--json]
 *     Checks the manifest and suite, grades every solution <n> times in the real sandbox, prints
 *     one progress line per run, the failure table, warnings and problems. Exits 1 on any problem.
 * The challenges directory defaults to ASSAY_CHALLENGES_DIR (see runner/config.ts).
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { ChallengeRepository } from '../challenges/repository.ts';
import { scaffoldChallenge, ScaffoldError } from '../challenges/scaffold.ts';
import { listChallengeIds, renderFailureTable, validateChallenge, type GradingRun, type ValidationResult } from '../challenges/validate.ts';
import { CHALLENGE_KINDS, type ChallengeKind } from '../challenges/manifest.ts';
import { loadConfig } from '../config.ts';
import { createLogger } from '../log.ts';
import { gradeSubmission } from '../pipeline/grade.ts';
import { createDockerClient, loadImages } from '../sandbox/index.ts';
import { stripTerminalEscapes } from '../report/text.ts';

export function registerChallengeCommands(program: Command): void {
  const challenge = program.command('challenge').description('author tools for challenges: scaffold and validate');

  challenge
    .command('new')
    .description('scaffold a working challenge (manifest, README, hidden suite, reference, starter, a variant)')
    .argument('<id>', 'challenge id: lowercase letters, digits and dashes')
    .addOption(new Option('-k, --kind <kind>', 'service: an HTTP suite against a running service; tests: hidden node:test files').choices(CHALLENGE_KINDS).makeOptionMandatory())
    .option('-d, --dir <path>', 'challenges directory to create it in (default: ASSAY_CHALLENGES_DIR or ./challenges)')
    .option('-t, --title <title>', 'challenge title (default: from the id)')
    .action(async (id: string, opts: { kind: ChallengeKind; dir?: string; title?: string }, cmd: Command) => {
      const rootDir = opts.dir ?? loadConfig().challengesDir;
      try {
        const created = await scaffoldChallenge({ id, kind: opts.kind, rootDir, ...(opts.title ? { title: opts.title } : {}) });
        const out = [`Created ${created.dir}`, ...created.files.map((f) => `  ${f}`)];
        if (created.schemaFile) out.push(`Wrote the manifest JSON Schema to ${created.schemaFile}`);
        const dirFlag = opts.dir ? ` --dir ${opts.dir}` : '';
        const reference = path.join(created.dir, 'reference', 'node');
        const shown = path.relative(process.cwd(), reference).startsWith('..') ? reference : path.relative(process.cwd(), reference);
        out.push('', 'Next:', `  assay challenge validate ${id}${dirFlag}`, `  assay grade --challenge ${id} ${shown}`);
        if (opts.dir) out.push(`  (grade reads challenges from ASSAY_CHALLENGES_DIR; set it to ${opts.dir})`);
        process.stdout.write(`${out.join('\n')}\n`);
      } catch (err) {
        if (err instanceof ScaffoldError) cmd.error(`error: ${err.message}`, { exitCode: 1, code: `assay.${err.code}` });
        throw err;
      }
    });

  challenge
    .command('validate')
    .description('check a challenge and grade its reference, starter and variants in the sandbox')
    .argument('[id]', 'challenge id (or --all)')
    .option('-a, --all', 'validate every challenge in the challenges directory')
    .option('-n, --runs <n>', 'grading runs per solution (more runs catch flaky tests)', parseRuns, 3)
    .option('-d, --dir <path>', 'challenges directory (default: ASSAY_CHALLENGES_DIR or ./challenges)')
    .option('--json', 'print the results as JSON')
    .action(async (id: string | undefined, opts: { all?: boolean; runs: number; dir?: string; json?: boolean }, cmd: Command) => {
      if (Boolean(id) === Boolean(opts.all)) cmd.error('error: give a challenge id or --all (not both)', { exitCode: 1 });
      const config = loadConfig();
      const rootDir = path.resolve(opts.dir ?? config.challengesDir);
      const ids = opts.all ? await listChallengeIds(rootDir) : [id!];
      if (ids.length === 0) cmd.error(`error: no challenges (folders with a challenge.json) in ${rootDir}`, { exitCode: 1 });

      const log = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel);
      const docker = createDockerClient(config.docker.host);
      const images = loadImages(config.imagesFile);
      const challenges = new ChallengeRepository(rootDir, config.maxima);
      const abort = new AbortController();
      // First Ctrl-C stops after cleaning up the running job's containers; a second one kills.
      process.once('SIGINT', () => abort.abort());

      const results: ValidationResult[] = [];
      for (const challengeId of ids) {
        process.stderr.write(`Validating ${challengeId} (${path.join(rootDir, challengeId)}), ${opts.runs} run(s) per solution\n`);
        const result = await validateChallenge({
          rootDir,
          id: challengeId,
          runs: opts.runs,
          maxima: config.maxima,
          signal: abort.signal,
          grade: (input, signal) => gradeSubmission({ submissionId: `validate-${randomUUID()}`, attempt: 1, ...input }, { config, docker, images, challenges, log }, signal),
          onRun: (run, runs) => process.stderr.write(`${progressLine(run, runs)}\n`),
        });
        results.push(result);
        if (!opts.json) process.stdout.write(`${renderResult(result)}\n\n`);
      }
      if (opts.json) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
      else if (results.length > 1) process.stdout.write(`${results.map((r) => `${r.ok ? 'OK    ' : 'FAILED'} ${r.challengeId}`).join('\n')}\n`);
      process.exitCode = results.every((r) => r.ok) ? 0 : 1;
    });
}

function parseRuns(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 100) throw new InvalidArgumentError('expected a whole number from 1 to 100');
  return n;
}

function progressLine(run: GradingRun, runs: number): string {
  const what = run.outcome === 'graded' ? `${run.percent.toFixed(2).padStart(6)}%` : `not graded: ${stripTerminalEscapes(run.error ?? '').split('\n')[0]?.slice(0, 160)}`;
  return `  ${run.solution.padEnd(24)} run ${run.run}/${runs}  ${what}  ${(run.durationMs / 1000).toFixed(1)}s`;
}

function renderResult(r: ValidationResult): string {
  const lines: string[] = [];
  if (r.runs.length > 0) {
    lines.push(`Tests each solution fails (✗ every run, k/n in k of n runs, · never):`);
    lines.push(...renderFailureTable(r.table).split('\n').map((l) => `  ${l}`));
  }
  if (r.warnings.length) lines.push(`Warnings (${r.warnings.length}):`, ...r.warnings.map((w) => `  - ${w}`));
  if (r.problems.length) lines.push(`Problems (${r.problems.length}):`, ...r.problems.map((p) => `  - ${stripTerminalEscapes(p)}`));
  lines.push(r.ok ? `${r.challengeId}: OK${r.warnings.length ? ` (${r.warnings.length} warning(s))` : ''}` : `${r.challengeId}: FAILED (${r.problems.length} problem(s))`);
  return lines.join('\n');
}
