/**
 * An API process wired as api/main.ts wires it (createApiProcess), on a throwaway real Redis,
 * listening on 127.0.0.1 at a free port: the set-up of every test that drives the API over
 * HTTP (Chromium, fetch) without a worker. No engine check: no page here needs the engine.
 */
import type { AddressInfo } from 'node:net';
import { createApiProcess, type ApiProcess } from '../../api/wire.ts';
import { buildConfig } from '../../runner/config.ts';
import { startRedis, type TestRedis } from '../../runner/devtools/redis.ts';
import { testEnv } from '../../runner/devtools/stack.ts';
import { createLogger } from '../../runner/log.ts';

export interface TestApi {
  redis: TestRedis;
  api: ApiProcess;
  /** `http://127.0.0.1:<port>` */
  base: string;
  close(): Promise<void>;
}

/** Starts Redis and the API with `env` (e.g. ASSAY_API_KEYS) over the test defaults; logs are silent. */
export async function startTestApi(env: Record<string, string>): Promise<TestApi> {
  const redis = await startRedis();
  try {
    const config = buildConfig({ ...process.env, ...testEnv(redis.url, { ASSAY_LOG_LEVEL: 'silent', ...env }) });
    const api = await createApiProcess(config, { log: createLogger('silent'), checkEngine: null });
    const server = await api.listen(0, '127.0.0.1');
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return {
      redis,
      api,
      base,
      close: async () => {
        await api.close();
        await redis.stop();
      },
    };
  } catch (err) {
    await redis.stop();
    throw err;
  }
}
