/**
 * Vitest's default reporter, ending the run with one plain line, "tests: N
 * passed, N failed, N skipped", that any CI can read without knowing Vitest's
 * output. When the suite's set-up failed, no test ran: it then prints neither
 * that line nor Vitest's "No test files found" (both false), and leaves the
 * last word to the set-up's error.
 */
import { DefaultReporter, type SerializedError, type TestModule, type TestRunEndReason } from 'vitest/node';
import { SETUP_FAILED_VARIABLE } from './test-run.js';

export default class SummaryReporter extends DefaultReporter {
  override onTestRunEnd(
    testModules: ReadonlyArray<TestModule>,
    unhandledErrors: ReadonlyArray<SerializedError>,
    reason: TestRunEndReason,
  ): void {
    if (process.env[SETUP_FAILED_VARIABLE] && testModules.length === 0) return;
    super.onTestRunEnd(testModules, unhandledErrors, reason);
    const count = { passed: 0, failed: 0, skipped: 0 };
    for (const testModule of testModules) {
      for (const test of testModule.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') count.passed++;
        else if (state === 'failed') count.failed++;
        else count.skipped++;
      }
      // A file that failed to load has no tests but must count as a failure.
      if (testModule.state() === 'failed' && ![...testModule.children.allTests()].length) count.failed++;
    }
    process.stdout.write(`\ntests: ${count.passed} passed, ${count.failed} failed, ${count.skipped} skipped\n`);
  }
}
