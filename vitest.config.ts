import { defineConfig } from 'vitest/config';

/** Test workers; the global setup starts one time-skipping server per worker so that time skipped by one file never leaks into another. */
export const TEST_WORKERS = 2;

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/globalSetup.ts'],
    setupFiles: ['test/setup.ts'],
    pool: 'forks',
    maxWorkers: TEST_WORKERS,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    teardownTimeout: 30_000,
    reporters: process.env.CI ? ['default', ['json', { outputFile: '.test-data/vitest-report.json' }]] : ['default'],
  },
});
