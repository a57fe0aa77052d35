/**
 * Install stage: starts the candidate's sandbox with the packed workspace and installs its
 * dependencies, restoring them from the dependency cache when this exact lockfile was installed
 * before. Owns where the candidate's container sits on the network:
 * - an install that must reach the registry puts the container on the install bridge, and it is
 *   disconnected before any candidate code runs (the grader then joins its namespace later);
 * - otherwise the candidate joins the grader's network-less namespace when a grader was started
 *   early (service challenges), or gets no network at all.
 */
import { readFile } from 'node:fs/promises';
import type { Step } from '../../report/schema.ts';
import { SandboxContainer, type SandboxNetwork } from '../../sandbox/index.ts';
import type { Job } from '../job.ts';
import { createTar } from '../pack/tar.ts';
import type { RuntimePlan } from '../runtime.ts';
import { DependencyCache } from './deps-cache.ts';
import { CA_BUNDLE_PATH, runInstall } from './install.ts';

export interface Installed {
  candidate: SandboxContainer;
  /** The dependencies are in place (or none were needed); false: the candidate's install failed. */
  ok: boolean;
  /** The grader whose network namespace the candidate joined, when there is one. */
  grader?: SandboxContainer;
}

export async function installStage(job: Job, plan: RuntimePlan, workspace: Buffer, earlyGrader?: Promise<SandboxContainer>): Promise<Installed> {
  const { manifest } = job.challenge;
  const { install: settings } = job.config;
  const online = manifest.install.network === 'registry';
  const image = plan.runtime === 'node' ? job.images.node : job.images.python;
  job.report.useImage('candidate', image);

  const cache = new DependencyCache(settings.cacheDir, settings.cacheMaxMb * 1024 * 1024);
  const cacheKey = plan.install.kind === 'run' && plan.install.lockfileHash ? cache.key(plan.install.lockfileHash, image.id, settings.npmRegistry) : undefined;
  const cached = cacheKey ? await cache.get(cacheKey) : undefined;
  const needsNetwork = plan.install.kind === 'run' && online && !cached;

  // The grader started early owns the namespace unless the candidate must sit on the install bridge.
  const grader = earlyGrader && !needsNetwork ? await job.report.timed('grader', () => earlyGrader) : undefined;
  if (earlyGrader && !grader) await job.containers.discard(earlyGrader);
  const network: SandboxNetwork = needsNetwork ? { mode: 'bridge', name: settings.network } : grader ? { mode: 'container', containerId: grader.id } : { mode: 'none' };

  // The proxy's CA bundle travels only with an install that goes online, and is deleted after it.
  const caBundle = needsNetwork && settings.caFile ? await readFile(settings.caFile) : undefined;
  const caTar = caBundle ? await createTar([{ type: 'file', path: CA_BUNDLE_PATH, content: caBundle }]) : undefined;
  const candidate = await job.report.timed('sandbox', () =>
    job.containers.track(
      SandboxContainer.start(
        job.docker,
        { ...job.specBase, image: image.tag, role: 'candidate', network, limits: { memoryMb: manifest.limits.memoryMb, cpus: manifest.limits.cpus, pids: manifest.limits.pids, workspaceMb: manifest.limits.workspaceMb } },
        Buffer.concat([...(cached ? [cached] : []), workspace, ...(caTar ? [caTar] : [])]),
        { outputBytes: manifest.limits.outputBytes, log: job.log },
      ),
    ),
  );

  await job.progress('installing');
  const step: Step = cached
    ? { name: 'install', status: 'passed', durationMs: 0, reason: `restored node_modules from the dependency cache (lockfile ${cacheKey!.slice(0, 12)})` }
    : await job.report.timed('install', () =>
        runInstall({ box: candidate, plan: plan.install, registry: settings.npmRegistry, online, hasCaBundle: Boolean(caBundle), timeoutMs: manifest.limits.installTimeoutMs, outputBytes: manifest.limits.outputBytes, signal: job.signal }),
      );
  job.report.step(step);
  if (cacheKey && !cached && step.status === 'passed') {
    // Taken before any candidate code has run: only npm (scripts off) has touched node_modules.
    const archive = await candidate.execCaptureStdout(['tar', '-c', '-C', '/workspace', 'node_modules'], settings.cacheMaxMb * 1024 * 1024, 60_000);
    if (archive) await cache.put(cacheKey, archive).catch((err: unknown) => job.log.warn({ err }, 'dependency cache write failed'));
  }
  if (caBundle && step.status === 'passed') await candidate.exec(['rm', '-f', `/workspace/${CA_BUNDLE_PATH}`], { timeoutMs: 10_000, outputBytes: 1024 });
  if (needsNetwork) await candidate.disconnect(settings.network); // before any candidate code runs
  if (step.status === 'failed' && (step.verdict === 'oom_killed' || step.verdict === 'timeout')) {
    job.report.flag({ code: 'resource_limit', message: `the install was ${step.reason}` });
  }
  return { candidate, ok: step.status !== 'failed', ...(grader ? { grader } : {}) };
}
