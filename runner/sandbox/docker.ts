/**
 * The Docker engine client. Only `runner/sandbox/` imports dockerode; everything else goes
 * through the sandbox functions.
 */
import Docker from 'dockerode';

export type DockerClient = Docker;

export function createDockerClient(host?: string): Docker {
  if (!host) return new Docker();
  if (host.startsWith('unix://')) return new Docker({ socketPath: host.slice('unix://'.length) });
  const url = new URL(host.replace(/^tcp:/, 'http:'));
  return new Docker({ host: url.hostname, port: Number(url.port || 2375), protocol: url.protocol === 'https:' ? 'https' : 'http' });
}

/** 304 (already stopped) and 404 (already gone) mean the cleanup we wanted has happened. */
export function isAlreadyDone(err: unknown): boolean {
  const status = (err as { statusCode?: number } | null)?.statusCode;
  return status === 304 || status === 404;
}

/** A 409 on remove means removal is already in progress. */
export function isConflict(err: unknown): boolean {
  return (err as { statusCode?: number } | null)?.statusCode === 409;
}

/** True when the engine itself cannot be reached (so the job should be retried, not failed). */
export function isEngineUnavailable(err: unknown): boolean {
  const e = err as { code?: string; syscall?: string; address?: string } | null;
  // Only a failed connection to the engine's socket or port counts, not any ENOENT.
  if (e?.syscall !== 'connect') return false;
  return e.code === 'ECONNREFUSED' || e.code === 'ENOENT' || e.code === 'ECONNRESET' || e.code === 'ETIMEDOUT' || e.code === 'EACCES';
}

export async function pingEngine(docker: Docker): Promise<void> {
  await docker.ping();
}
