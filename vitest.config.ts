import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Builds the dbt venv (cached) and starts PostgreSQL once for every test file.
    globalSetup: ['test/harness/global-setup.ts'],
    // Real dbt runs take seconds each; the machine has two cores.
    testTimeout: 180_000,
    hookTimeout: 600_000,
    pool: 'forks',
    reporters: ['default', './test/harness/summary-reporter.ts'],
    maxWorkers: 2,
  },
});
