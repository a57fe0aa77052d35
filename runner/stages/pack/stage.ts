/**
 * Pack stage: decides how the submission runs (runtime, install, build and start commands, Node
 * version) and packs the workspace the candidate's sandbox receives. With a submission `path`,
 * only that subdirectory is planned and packed (it becomes /workspace), after checking that it
 * is a real directory of the commit. Files a candidate may not ship are dropped here; the
 * challenge's own files (hidden tests of a "tests" challenge) are added last.
 */
import { defaultNodeMajor, nodeMajors } from '../../sandbox/index.ts';
import type { Job } from '../job.ts';
import { planRuntime, type RuntimePlan } from '../plan/index.ts';
import { prepareHiddenTests, type HiddenTests } from '../run/node-tests.ts';
import { pack } from './pack.ts';
import { resolveServiceDir } from './subdir.ts';

/** Files candidates may not ship anywhere in the tree: they would reconfigure the install. */
export const DROPPED_NAMES = ['.npmrc', '.yarnrc', '.yarnrc.yml', '.pnpmfile.cjs', '.pnpmfile.mjs'];

export type Packed =
  | { runnable: true; plan: RuntimePlan; tar: Buffer; hidden?: HiddenTests }
  /** No entry point this challenge allows: nothing to run (the candidate's outcome, scored 0). */
  | { runnable: false; reason: string };

/** Plans and packs `repoDir`, or its subdirectory `subPath` (PATH_INVALID when it is not a real directory of it). */
export async function packStage(job: Job, repoDir: string, subPath?: string): Promise<Packed> {
  const { manifest } = job.challenge;
  const dir = await resolveServiceDir(repoDir, subPath);
  const sub = dir === repoDir ? undefined : subPath;
  const node = { available: nodeMajors(job.images), defaultMajor: defaultNodeMajor(job.images) ?? 0 };
  const plan = await planRuntime(dir, {
    allowed: manifest.runtimes,
    npmRegistry: job.config.install.npmRegistry,
    ...(node.available.length ? { node } : {}),
    ...(manifest.install.python ? { python: manifest.install.python } : {}),
    ...(sub ? { where: `in the folder "${sub}" (the submission's path)` } : {}),
  });
  const hidden = manifest.kind === 'tests' ? prepareHiddenTests(job.challenge) : undefined;
  const outputs = 'runtime' in plan && plan.install.kind === 'run' ? plan.install.outputs : [];
  const t0 = Date.now();
  const packed = await pack(
    {
      repoDir: dir,
      limits: job.config.pack,
      // A committed node_modules or .venv would be replaced by the install anyway; dropping it keeps
      // it out of the cache, and from overlaying the installed tree in the candidate's container.
      reservedPaths: ['.assay', manifest.suite.workspacePath, ...outputs],
      droppedNames: DROPPED_NAMES,
      extraFiles: hidden?.files ?? [],
    },
    job.signal,
  );
  const durationMs = Date.now() - t0;
  job.report.timing('pack', durationMs);
  job.report.step({ name: 'pack', status: 'passed', durationMs, reason: `${packed.files} files, ${packed.bytes} bytes` });
  if (packed.droppedCount > 0) {
    job.report.flag({ code: 'files_dropped', message: `${packed.droppedCount} entries left out: ${packed.dropped.slice(0, 5).map((d) => `${d.path} (${d.reason})`).join(', ')}` });
  }
  if ('flags' in plan && plan.flags?.length) job.report.flag(...plan.flags);
  if ('missing' in plan) {
    job.report.step({ name: 'start', status: 'failed', durationMs: 0, reason: plan.missing });
    return { runnable: false, reason: plan.missing };
  }
  return { runnable: true, plan, tar: packed.tar, ...(hidden ? { hidden } : {}) };
}
