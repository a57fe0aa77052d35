/**
 * Services stage: the Postgres and Redis a challenge declares (challenge.json `services`),
 * started for this job alone while the repository is fetched.
 *
 * - Each runs in its own hardened sandbox container (read-only root, no capabilities, the
 *   sandbox seccomp profile, its own memory/CPU/pids limits, data on a tmpfs) that joins the
 *   grader's network namespace: the namespace the candidate's container joins too, which has
 *   no route anywhere. So each service is on 127.0.0.1 for the candidate's service and the
 *   grader, and for nothing else.
 * - Credentials are fresh per job (./kinds.ts): the candidate's role is no superuser, the
 *   superuser's password goes to the grader only.
 * - A service is ready when its start script (in the image) has proved a real TCP login with the
 *   candidate's credentials (Postgres: a query as `app`; Redis: PING as both users) and printed
 *   its ready line. A service that does not get there is the platform's failure
 *   (SERVICE_UNAVAILABLE, retried), never the candidate's.
 * - The containers carry the job's labels and are tracked by `job.containers`, so they are
 *   removed with the job, and by the janitor when the worker died: the database goes with them.
 */
import { randomBytes } from 'node:crypto';
import type { ServiceDeclaration } from '../../challenges/manifest.ts';
import { PlatformError } from '../../errors.ts';
import type { ServiceUsed } from '../../report/schema.ts';
import { isEngineUnavailable, SandboxContainer } from '../../sandbox/index.ts';
import type { Job } from '../job.ts';
import { createTar } from '../pack/tar.ts';
import { CREDENTIALS_FILE, planService, ReadyWatch, type ServicePlan } from './kinds.ts';

/** How long a service may take from its container's creation to its ready line. */
export const SERVICE_READY_TIMEOUT_MS = 20_000;

/** The running services of one job, as the start and test stage needs them. */
export interface RunningServices {
  /** Added to the environment of the candidate's service: DATABASE_URL, PG*, REDIS_URL. */
  readonly candidateEnv: Readonly<Record<string, string>>;
  /** The harness's environment: ASSAY_SERVICES, the grader's and the candidate's connection settings per service. */
  readonly graderEnv: Readonly<Record<string, string>>;
}

export const NO_SERVICES: RunningServices = Object.freeze({ candidateEnv: {}, graderEnv: {} });

/**
 * Starts the challenge's services in the namespace of the grader being started, and returns at
 * once: the promise settles when every service is ready (or one failed). Await it before the
 * candidate's service starts; a job that ends before that never awaits it, and the containers
 * go with the job either way.
 */
export function servicesStage(job: Job, grader: Promise<SandboxContainer> | undefined): Promise<RunningServices> {
  const declared = job.challenge.manifest.services;
  if (!declared.length) return Promise.resolve(NO_SERVICES);
  const running = job.report.timed('services', () => startAll(job, grader, declared));
  running.catch(() => undefined); // a job that ends before needing them does not wait for them
  return running;
}

async function startAll(job: Job, graderStarting: Promise<SandboxContainer> | undefined, declared: ServiceDeclaration[]): Promise<RunningServices> {
  if (!graderStarting) throw new PlatformError('INTERNAL', 'services need the grader whose network namespace they join');
  const grader = await graderStarting;
  const plans = declared.map((d) => planService(d, { admin: secret(), candidate: secret() }));
  const started = await Promise.all(plans.map((plan) => startOne(job, plan, grader)));
  for (const service of started) job.report.service(service); // in the manifest's order
  const byName = Object.fromEntries(plans.map((p) => [p.name, p.grader]));
  return {
    candidateEnv: Object.assign({}, ...plans.map((p) => p.candidateEnv)) as Record<string, string>,
    graderEnv: { ASSAY_SERVICES: JSON.stringify(byName) },
  };
}

async function startOne(job: Job, plan: ServicePlan, grader: SandboxContainer): Promise<ServiceUsed> {
  const image = job.images.services?.[plan.name];
  if (!image) throw new PlatformError('SERVICE_UNAVAILABLE', `this worker has no ${plan.name} image (run scripts/build-images.sh)`, true);
  const startedAt = new Date();
  const watch = new ReadyWatch();
  const files = await createTar([{ type: 'file', path: CREDENTIALS_FILE, content: Buffer.from(plan.credentials) }]);
  let box: SandboxContainer;
  try {
    box = await job.containers.track(
      SandboxContainer.start(
        job.docker,
        { ...job.specBase, image: image.tag, role: `service-${plan.name}`, network: { mode: 'container', containerId: grader.id }, limits: plan.limits, command: plan.command },
        files,
        { outputBytes: 16 * 1024, log: job.log, onStdout: watch.feed },
      ),
    );
  } catch (err) {
    if (isEngineUnavailable(err)) throw err; // the pipeline's SANDBOX_UNAVAILABLE
    throw new PlatformError('SERVICE_UNAVAILABLE', `${plan.name} could not be started: ${(err as Error).message}`, true, { cause: err });
  }
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    watch.seen.then(() => 'ready' as const),
    box.mainEnded().then(() => 'exited' as const),
    new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), SERVICE_READY_TIMEOUT_MS))),
  ]);
  clearTimeout(timer);
  if (outcome !== 'ready') {
    const why = outcome === 'exited' ? 'exited before it was ready' : `was not ready within ${SERVICE_READY_TIMEOUT_MS} ms`;
    throw new PlatformError('SERVICE_UNAVAILABLE', `${plan.name} ${why}: ${box.mainOutput().text.slice(-500)}`, true);
  }
  const readyMs = Date.now() - startedAt.getTime();
  job.log.info({ service: plan.name, containerId: box.id, readyMs }, 'service ready');
  return { name: plan.name, version: plan.version, image: { tag: image.tag, id: image.id }, startedAt: startedAt.toISOString(), readyMs };
}

/** 32 URL-safe characters (192 bits). */
function secret(): string {
  return randomBytes(24).toString('base64url');
}
