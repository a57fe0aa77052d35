/**
 * What each service a challenge may declare needs to run for one job, as data: its container's
 * limits and command, the per-job credentials file its start script reads, the variables the
 * candidate's service gets and the URLs the grader's harness gets. Pure: the stage
 * (./stage.ts) starts the containers.
 *
 * Credentials are fresh random secrets per job. The candidate gets an ordinary role (Postgres
 * `app`: not a superuser, its own database, a connection cap) or user (Redis `default`: no admin
 * commands); the superuser's (`postgres`) and the grader's Redis user's (`assay`) passwords go to
 * the grader only. Everything listens on 127.0.0.1 in the job's network namespace, which has no
 * route anywhere, so only the candidate's service and the grader can reach it.
 */
import type { ServiceDeclaration, ServiceName } from '../../challenges/manifest.ts';
import { SERVICE_PORTS } from '../../challenges/manifest.ts';
import type { SandboxLimits } from '../../sandbox/index.ts';

export const SERVICE_HOST = '127.0.0.1';
/** Where each service image's start script reads the job's credentials (deleted once read). */
export const CREDENTIALS_FILE = '.assay-credentials';
/** The line a start script prints on stdout once the candidate's credentials work over TCP. */
export const READY_LINE = 'assay:ready';

/**
 * Each service's container limits. The data lives in the workspace tmpfs, which counts against
 * memory: Postgres gets 80 MB of relation files (ENOSPC past that, never an OOM kill of the
 * tmpfs), 40 MB on /tmp for its WAL and everything else it must always be able to write (its own
 * space, so a data fill never stops the WAL or a checkpoint: sandbox-images/postgres), 16 MB of
 * shared buffers and room for its 40 connections; Redis stops writes at its 48 MB maxmemory
 * (sandbox-images/redis-service/redis.conf).
 */
export const SERVICE_LIMITS: Readonly<Record<ServiceName, SandboxLimits>> = {
  postgres: { memoryMb: 256, cpus: 1, pids: 96, workspaceMb: 80, tmpMb: 40 },
  redis: { memoryMb: 96, cpus: 0.5, pids: 32, workspaceMb: 16 },
};

const COMMANDS: Readonly<Record<ServiceName, string[]>> = {
  postgres: ['/opt/assay/bin/postgres-start'],
  redis: ['/opt/assay/bin/redis-start'],
};

/** One service of one job, ready to be started. */
export interface ServicePlan {
  name: ServiceName;
  version: string;
  limits: SandboxLimits;
  command: string[];
  /** The credentials file's content (sent in the container's files tar, never in its environment). */
  credentials: string;
  /** What the candidate's service gets in its environment. */
  candidateEnv: Record<string, string>;
  /** What the harness gets (ASSAY_SERVICES): the grader's URL, the candidate's, and the candidate's variables. */
  grader: { adminUrl: string; candidateUrl: string; env: Record<string, string> };
}

/** The secrets a plan needs: one for the grader's (admin) login, one for the candidate's. */
export interface ServiceSecrets {
  admin: string;
  candidate: string;
}

export function planService(declared: ServiceDeclaration, secrets: ServiceSecrets): ServicePlan {
  for (const secret of [secrets.admin, secrets.candidate]) {
    // They travel in URLs and one-per-line files: URL-safe characters only.
    if (!/^[A-Za-z0-9_-]{16,}$/.test(secret)) throw new Error('service secrets must be at least 16 URL-safe characters');
  }
  const port = SERVICE_PORTS[declared.name];
  const base = { name: declared.name, version: declared.version, limits: SERVICE_LIMITS[declared.name], command: COMMANDS[declared.name] };
  switch (declared.name) {
    case 'postgres': {
      const db = declared.database;
      const candidateUrl = `postgresql://app:${secrets.candidate}@${SERVICE_HOST}:${port}/${db}`;
      const env = { DATABASE_URL: candidateUrl, PGHOST: SERVICE_HOST, PGPORT: String(port), PGUSER: 'app', PGPASSWORD: secrets.candidate, PGDATABASE: db };
      return {
        ...base,
        credentials: `${secrets.admin}\n${secrets.candidate}\n${db}\n`,
        candidateEnv: env,
        grader: { adminUrl: `postgresql://postgres:${secrets.admin}@${SERVICE_HOST}:${port}/${db}`, candidateUrl, env },
      };
    }
    case 'redis': {
      const candidateUrl = `redis://default:${secrets.candidate}@${SERVICE_HOST}:${port}`;
      const env = { REDIS_URL: candidateUrl };
      return {
        ...base,
        credentials: `${secrets.admin}\n${secrets.candidate}\n`,
        candidateEnv: env,
        grader: { adminUrl: `redis://assay:${secrets.admin}@${SERVICE_HOST}:${port}`, candidateUrl, env },
      };
    }
  }
}

/**
 * Watches a start script's stdout for READY_LINE (a chunk may end mid-line). The service
 * container's stdout is written only by the image's own script and the service itself, never by
 * the candidate.
 */
export class ReadyWatch {
  private seenIt = false;
  private tail = '';
  private resolve!: () => void;
  readonly seen = new Promise<void>((r) => (this.resolve = r));

  /** Feed every stdout chunk. */
  readonly feed = (chunk: Buffer): void => {
    if (this.seenIt) return;
    this.tail = (this.tail + chunk.toString('utf8')).slice(-4096);
    if (this.tail.split('\n').some((line) => line.trim() === READY_LINE)) {
      this.seenIt = true;
      this.resolve();
    }
  };
}
