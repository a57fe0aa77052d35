/**
 * What a worker keeps warm (runner/sandbox/warm.ts): a grader, which a service challenge's job
 * gives its suite (it owns the network namespace the candidate joins), and an analysis container,
 * which loads the analysers while it waits. Filled when the worker starts and whenever it is idle
 * again (no job running, every cleanup done: GradingWorker), so a fill never takes CPU from a
 * running job; under a steady queue the jobs start their own, as without warm containers.
 */
import type { Config } from '../config.ts';
import type { Logger } from '../log.ts';
import { WARM_JOB_ID, type DockerClient, type Images, type WarmContainers } from '../sandbox/index.ts';
import { launchAnalysis } from '../stages/analysis/stage.ts';
import { launchGrader } from '../stages/run/service.ts';

export function fillWarmContainers(warm: WarmContainers | undefined, deps: { config: Config; docker: DockerClient; images: Images; log: Logger }): void {
  if (!warm) return;
  const { config, docker, images, log } = deps;
  const specBase = { jobId: WARM_JOB_ID, workerId: config.worker.id, runtime: config.docker.runtime, deployment: config.redis.prefix };
  warm.fill('grader', () => launchGrader(docker, images.grader, specBase, { mode: 'none' }, log));
  const analysis = images.analysis;
  if (analysis) warm.fill('analysis', () => launchAnalysis(docker, analysis, specBase, log, { warm: true }));
}
