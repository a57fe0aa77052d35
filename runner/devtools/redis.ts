/**
 * A throwaway Redis per test file, from testcontainers, using the locally built image
 * (no registry here; Ryuk is disabled in vitest.config.ts and containers are stopped in afterAll).
 */
import { GenericContainer, Wait, type StartedTestContainer } from 'testcontainers';
import { images } from './env.ts';

export interface TestRedis {
  url: string;
  container: StartedTestContainer;
  stop(): Promise<void>;
}

export async function startRedis(opts: { appendOnly?: boolean } = {}): Promise<TestRedis> {
  const tag = (images as unknown as { redis?: { tag: string } }).redis?.tag;
  if (!tag) throw new Error('no redis test image: run scripts/build-images.sh');
  const container = await new GenericContainer(tag)
    .withCommand(['redis-server', '--bind', '0.0.0.0', '--protected-mode', 'no', '--save', '', '--appendonly', opts.appendOnly ? 'yes' : 'no', '--dir', '/tmp'])
    .withExposedPorts(6379)
    .withLabels({ 'dev.assay.test': 'redis' })
    .withWaitStrategy(Wait.forLogMessage(/Ready to accept connections/))
    .start();
  const url = `redis://${container.getHost()}:${container.getMappedPort(6379)}`;
  return { url, container, stop: async () => void (await container.stop({ timeout: 1000 })) };
}
