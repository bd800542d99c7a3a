import { defineConfig } from 'vitest/config';

// Benchmarks reuse the test harness (the pinned dbt venv, a real PostgreSQL) but run apart from the suite.
export default defineConfig({
  test: {
    include: ['bench/**/*.bench.ts'],
    globalSetup: ['test/harness/global-setup.ts'],
    testTimeout: 4 * 60 * 60 * 1000,
    hookTimeout: 600_000,
    pool: 'forks',
    maxWorkers: 1,
  },
});
