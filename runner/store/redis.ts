/** Redis connections (ioredis). BullMQ needs `maxRetriesPerRequest: null` on its connections. */
import { Redis } from 'ioredis';
import type { Config } from '../config.ts';

export type { Redis };

export function createRedis(config: Config, purpose: 'store' | 'bullmq' | 'subscriber' = 'store'): Redis {
  return new Redis(config.redis.url, {
    ...(config.redis.password ? { password: config.redis.password } : {}),
    maxRetriesPerRequest: purpose === 'store' ? 2 : null,
    lazyConnect: false,
    connectionName: `assay-${purpose}`,
    retryStrategy: (times) => Math.min(times * 200, 2000),
  });
}
