import { defineConfig } from 'vitest/config';
import { LongestFirstSequencer } from './test/harness/sequencer.js';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Builds the dbt venv (cached) and starts PostgreSQL once for every test file.
    globalSetup: ['test/harness/global-setup.ts'],
    // Real dbt runs take seconds each; the machine has two cores.
    testTimeout: 180_000,
    hookTimeout: 600_000,
    pool: 'forks',
    // Vitest's default output, plus one plain summary line (and nothing false when the set-up fails).
    reporters: ['./test/harness/summary-reporter.ts'],
    maxWorkers: 2,
    // Its PostgreSQL holds only throwaway schemas: commits need not wait for the disk.
    provide: { throwawayPostgres: true },
    // The longest files first, so the two workers finish together (test/harness/sequencer.ts).
    sequence: { sequencer: LongestFirstSequencer },
  },
});
