import { defineConfig } from 'vitest/config';

// Two projects: `unit` (pure logic beside the code, seconds) and `integration` (real Docker,
// Redis and git over HTTP on loopback; needs `scripts/setup.sh` to have run).
export default defineConfig({
  test: {
    projects: [
      { test: { name: 'unit', include: ['runner/**/*.test.ts', 'api/**/*.test.ts'] } },
      {
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          testTimeout: 180_000,
          hookTimeout: 180_000,
          fileParallelism: false,
          env: { TESTCONTAINERS_RYUK_DISABLED: 'true' },
        },
      },
    ],
  },
});
