import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['protocol/src/**/*.test.ts', 'client/src/**/*.test.ts', 'server/src/**/*.test.ts', 'device-sim/src/**/*.test.ts', 'conformance/src/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['**/node_modules/**', 'test/browser/**'],
    // One Redis Cluster for the whole run, started by the first test that needs it.
    globalSetup: ['test/helpers/redis-cluster-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
