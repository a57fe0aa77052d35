/**
 * The `assay` command line.
 *   assay grade --challenge <id> <repo-url-or-local-path> [--ref <ref>] [--path <subdir>] [--out <file>]
 *     Runs the grading stages without the queue, prints live progress and a summary, writes
 *     the JSON report. Local paths are for authors and trials; the API accepts URLs only.
 *   assay challenge new|validate ...  (see runner/cli/challenge.ts)
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { Command } from 'commander';
import { loadConfig } from '../config.ts';
import { ChallengeRepository } from '../challenges/repository.ts';
import { createLogger } from '../log.ts';
import { normalizeRepoPath } from '../net/repo-path.ts';
import { gradeSubmission } from '../pipeline/grade.ts';
import { createDockerClient, loadImages } from '../sandbox/index.ts';
import { renderSummary } from './summary.ts';
import { registerChallengeCommands } from './challenge.ts';

const program = new Command('assay').description('Assay: grade coding take-homes in hardened sandboxes');

program
  .command('grade')
  .description('grade one repository (URL or local folder) against a challenge and print the report summary')
  .requiredOption('-c, --challenge <id>', 'challenge id (a folder in the challenges directory)')
  .argument('<repo>', 'git URL (https://...) or a local folder')
  .option('-r, --ref <ref>', 'branch, tag or commit to grade (URLs only)')
  .option('-p, --path <subdir>', 'the folder of the repository where the service lives (e.g. backend); default: the root')
  .option('-o, --out <file>', 'where to write the JSON report', 'assay-report.json')
  .option('--json', 'print the JSON report instead of the summary')
  .action(async (repo: string, opts: { challenge: string; ref?: string; path?: string; out: string; json?: boolean }) => {
    const config = loadConfig();
    const subPath = opts.path === undefined ? undefined : normalizeRepoPath(opts.path); // a bad spelling stops here, with the reason
    const log = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel);
    const isUrl = /^[a-z][a-z0-9+.-]*:/i.test(repo) && !existsSync(repo);
    const started = Date.now();
    const report = await gradeSubmission(
      { submissionId: `cli-${randomUUID()}`, attempt: 1, challengeId: opts.challenge, ...(isUrl ? { repoUrl: repo, ref: opts.ref } : { localPath: repo }), ...(subPath ? { path: subPath } : {}) },
      {
        config,
        docker: createDockerClient(config.docker.host),
        images: loadImages(config.imagesFile),
        challenges: new ChallengeRepository(config.challengesDir, config.maxima),
        log,
        onStage: (stage) => void process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s] ${stage}\n`),
      },
    );
    await writeFile(opts.out, JSON.stringify(report, null, 2));
    process.stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : `${renderSummary(report)}\nReport written to ${opts.out}\n`);
    process.exitCode = report.status === 'completed' ? 0 : 2;
  });

registerChallengeCommands(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`assay: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
