import { defineConfig } from 'vitest/config';

/**
 * One runner for unit and integration tests. Integration tests start real
 * registries and skopeo, so they get generous timeouts and run a few files at
 * a time to stay within a 2-core machine.
 */
export default defineConfig({
  test: {
    include: ['tests/unit/**/*.test.ts', 'tests/integration/**/*.test.ts'],
    setupFiles: ['tests/harness/isolate-env.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default', './tests/harness/summary-reporter.ts'],
  },
});
