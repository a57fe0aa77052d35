/**
 * Removes containers, networks and volumes that Assay labelled and whose worker is gone (a
 * worker killed with SIGKILL cannot clean up after itself). Runs at worker start and
 * periodically.
 */
import type Docker from 'dockerode';
import { isAlreadyDone, isConflict } from './docker.ts';
import { LABEL_DEPLOYMENT, LABEL_JOB, LABEL_MANAGED, LABEL_WORKER } from './host-config.ts';

export interface JanitorOptions {
  /** True when the worker that created a resource is still alive (e.g. its Redis heartbeat exists). */
  isWorkerAlive: (workerId: string) => Promise<boolean>;
  /** Only sweep resources of this job (used by tests); undefined = all. */
  jobId?: string;
  /**
   * Only sweep resources labelled with this deployment. A worker only knows the heartbeats of its
   * own deployment, so without this it would remove the live containers of another deployment
   * (another key prefix or Redis) sharing the engine.
   */
  deployment?: string;
}

export interface JanitorResult {
  containers: string[];
  networks: string[];
  volumes: string[];
}

export async function sweepLeftovers(docker: Docker, opts: JanitorOptions): Promise<JanitorResult> {
  const filters = { label: [`${LABEL_MANAGED}=true`, ...(opts.jobId ? [`${LABEL_JOB}=${opts.jobId}`] : []), ...(opts.deployment ? [`${LABEL_DEPLOYMENT}=${opts.deployment}`] : [])] };
  const result: JanitorResult = { containers: [], networks: [], volumes: [] };
  const alive = new Map<string, boolean>();
  const isDead = async (labels: Record<string, string> | undefined) => {
    const worker = labels?.[LABEL_WORKER];
    if (!worker) return true;
    if (!alive.has(worker)) alive.set(worker, await opts.isWorkerAlive(worker));
    return !alive.get(worker);
  };

  for (const c of await docker.listContainers({ all: true, filters })) {
    if (!(await isDead(c.Labels))) continue;
    try {
      await docker.getContainer(c.Id).remove({ force: true, v: true });
      result.containers.push(c.Id);
    } catch (err) {
      if (!isAlreadyDone(err) && !isConflict(err)) throw err;
    }
  }
  for (const n of await docker.listNetworks({ filters })) {
    if (!(await isDead(n.Labels))) continue;
    try {
      await docker.getNetwork(n.Id).remove();
      result.networks.push(n.Id);
    } catch (err) {
      if (!isAlreadyDone(err) && !isConflict(err)) throw err;
    }
  }
  const volumes = (await docker.listVolumes({ filters })).Volumes ?? [];
  for (const v of volumes) {
    if (!(await isDead(v.Labels))) continue;
    try {
      await docker.getVolume(v.Name).remove();
      result.volumes.push(v.Name);
    } catch (err) {
      if (!isAlreadyDone(err) && !isConflict(err)) throw err;
    }
  }
  return result;
}

/** Counts what Assay still has on the engine, e.g. for tests asserting nothing was left behind. */
export async function countManaged(docker: Docker, jobId?: string): Promise<number> {
  const filters = { label: [`${LABEL_MANAGED}=true`, ...(jobId ? [`${LABEL_JOB}=${jobId}`] : [])] };
  return (await docker.listContainers({ all: true, filters })).length;
}

/**
 * The host-side name of the install network's bridge interface, so the host firewall can drop
 * what the install step sends to the host itself (scripts/setup.sh adds those rules).
 */
export const INSTALL_BRIDGE_INTERFACE = 'assay-install0';

/** The user-defined bridge used only by the dependency install step. */
export async function ensureNetwork(docker: Docker, name: string): Promise<void> {
  const existing = await docker.listNetworks({ filters: { name: [name] } });
  if (existing.some((n) => n.Name === name)) return;
  try {
    await docker.createNetwork({
      Name: name,
      Driver: 'bridge',
      Labels: { 'dev.assay.network': 'install' },
      Options: { 'com.docker.network.bridge.enable_icc': 'false', 'com.docker.network.bridge.name': INSTALL_BRIDGE_INTERFACE },
    });
  } catch (err) {
    if (!isConflict(err)) throw err;
  }
}
