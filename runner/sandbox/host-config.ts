/**
 * The hardened container settings every sandbox gets, built in one pure function so a unit test
 * can pin each flag and the integration tests prove each one holds on a real engine.
 */
import type Docker from 'dockerode';
import { SANDBOX_SECCOMP } from './seccomp.ts';

export const SANDBOX_UID = 1000;
export const LABEL_MANAGED = 'dev.assay.managed';
export const LABEL_JOB = 'dev.assay.job';
export const LABEL_WORKER = 'dev.assay.worker';
export const LABEL_ROLE = 'dev.assay.role';
/** The deployment (the Redis key prefix) a container belongs to: janitors of other deployments on the same engine leave it alone. */
export const LABEL_DEPLOYMENT = 'dev.assay.deployment';

export interface SandboxLimits {
  memoryMb: number;
  cpus: number;
  pids: number;
  /** Size of the writable /workspace tmpfs. */
  workspaceMb: number;
  /** Size of the writable /tmp tmpfs. @defaultValue memoryMb / 16, between 4 and 64 (see tmpfsSizes) */
  tmpMb?: number;
  /** Open files per process. @defaultValue 1024 */
  nofile?: number;
  /** Largest file a process may write. @defaultValue workspaceMb */
  fileSizeMb?: number;
  /**
   * CPU weight under contention (Docker's CpuShares, relative to the other containers' 1024): the
   * analyses take a low one, so that beside the candidate's service and the grader they use the
   * CPU those leave idle. @defaultValue the engine's (1024)
   */
  cpuShares?: number;
}

export type SandboxNetwork =
  | { mode: 'none' }
  /** A user-defined bridge, only for the dependency install step; disconnected before candidate code runs. */
  | { mode: 'bridge'; name: string }
  /** Join another container's network namespace (the grader joins the candidate). */
  | { mode: 'container'; containerId: string };

export interface SandboxSpec {
  image: string;
  /** What this container is for (candidate, grader, ...): a label, and part of the name. */
  role: string;
  jobId: string;
  workerId: string;
  limits: SandboxLimits;
  network: SandboxNetwork;
  /** argv run after the files are received; empty = hold the container open for exec. */
  command?: string[];
  env?: Record<string, string>;
  /** OCI runtime, e.g. runsc for gVisor; undefined = the engine's default. */
  runtime?: string;
  /** Deployment id (the Redis key prefix), labelled so the janitor only sweeps its own deployment's containers. */
  deployment?: string;
}

function networkMode(network: SandboxNetwork): string {
  switch (network.mode) {
    case 'none':
      return 'none';
    case 'bridge':
      return network.name;
    case 'container':
      return `container:${network.containerId}`;
  }
}

/**
 * Sizes of the writable tmpfs mounts. Their pages count against the container's memory limit,
 * so together they stay near 60% of it (workspace at most half, as the challenge repository
 * clamps it, /tmp a sixteenth, /dev/shm a thirty-second): a service that fills its disk gets
 * ENOSPC and keeps answering instead of being OOM-killed.
 */
export function tmpfsSizes(limits: SandboxLimits): { workspaceMb: number; tmpMb: number; shmMb: number } {
  const clamp = (v: number, lo: number, hi: number) => Math.max(lo, Math.min(hi, Math.floor(v)));
  return {
    workspaceMb: Math.min(limits.workspaceMb, Math.max(16, Math.floor(limits.memoryMb / 2))),
    tmpMb: limits.tmpMb ?? clamp(limits.memoryMb / 16, 4, 64),
    shmMb: clamp(limits.memoryMb / 32, 4, 16),
  };
}

export function buildCreateOptions(spec: SandboxSpec): Docker.ContainerCreateOptions {
  const { limits } = spec;
  const memoryBytes = limits.memoryMb * 1024 * 1024;
  const fileSizeBytes = (limits.fileSizeMb ?? limits.workspaceMb) * 1024 * 1024;
  const nofile = limits.nofile ?? 1024;
  const tmpfsOwner = `uid=${SANDBOX_UID},gid=${SANDBOX_UID}`;
  const sizes = tmpfsSizes(limits);
  return {
    Image: spec.image,
    Cmd: spec.command ?? [],
    Env: Object.entries(spec.env ?? {}).map(([k, v]) => `${k}=${v}`),
    User: `${SANDBOX_UID}:${SANDBOX_UID}`,
    WorkingDir: '/workspace',
    // stdin carries the job's files as a tar stream (see sandbox-images/common/receive).
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
    OpenStdin: true,
    StdinOnce: true,
    Tty: false,
    Labels: {
      [LABEL_MANAGED]: 'true',
      [LABEL_JOB]: spec.jobId,
      [LABEL_WORKER]: spec.workerId,
      [LABEL_ROLE]: spec.role,
      ...(spec.deployment ? { [LABEL_DEPLOYMENT]: spec.deployment } : {}),
    },
    HostConfig: {
      NetworkMode: networkMode(spec.network),
      Memory: memoryBytes,
      MemorySwap: memoryBytes, // equal to Memory: no swap
      NanoCpus: Math.round(limits.cpus * 1e9),
      ...(limits.cpuShares ? { CpuShares: limits.cpuShares } : {}),
      PidsLimit: limits.pids,
      ReadonlyRootfs: true,
      Tmpfs: {
        '/workspace': `rw,exec,nosuid,nodev,size=${sizes.workspaceMb}m,mode=0755,${tmpfsOwner}`,
        '/tmp': `rw,noexec,nosuid,nodev,size=${sizes.tmpMb}m,mode=1777`,
      },
      ShmSize: sizes.shmMb * 1024 * 1024,
      CapDrop: ['ALL'],
      SecurityOpt: ['no-new-privileges', SANDBOX_SECCOMP],
      Ulimits: [
        { Name: 'nofile', Soft: nofile, Hard: nofile },
        { Name: 'fsize', Soft: fileSizeBytes, Hard: fileSizeBytes },
        { Name: 'core', Soft: 0, Hard: 0 },
      ],
      Init: true,
      IpcMode: 'private',
      PortBindings: {},
      PublishAllPorts: false,
      Binds: [],
      Mounts: [],
      Privileged: false,
      LogConfig: { Type: 'none', Config: {} }, // output is read from the attach stream, capped
      AutoRemove: false,
      ...(spec.runtime ? { Runtime: spec.runtime } : {}),
    },
  };
}
