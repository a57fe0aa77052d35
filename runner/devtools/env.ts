/**
 * Shared set-up for integration tests: the real Docker engine, the locally built images, and
 * a unique id per test so parallel runs never see each other's containers.
 */
import { randomUUID } from 'node:crypto';
import { createDockerClient, loadImages, sweepLeftovers, countManaged } from '../sandbox/index.ts';
import { loadConfig } from '../config.ts';

export const config = loadConfig();
export const docker = createDockerClient(config.docker.host);
export const images = loadImages(config.imagesFile);

export function uniqueId(prefix = 'test'): string {
  return `${prefix}-${randomUUID()}`;
}

/** Removes whatever a test left (by job label) and returns how many containers were left. */
export async function leftovers(jobId: string): Promise<number> {
  const count = await countManaged(docker, jobId);
  await sweepLeftovers(docker, { jobId, isWorkerAlive: async () => false });
  return count;
}
