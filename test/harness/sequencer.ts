/**
 * The order test files start in: the longest first, so that the two workers finish together
 * rather than one running a three-minute Airflow file alone at the end.
 *
 * Vitest does this itself once it has timed a run (its cache in node_modules/.vite), but CI
 * starts from a fresh clone, with no cache, where Vitest falls back to "larger files first",
 * and file size says little here (a short file that runs a DAG twice takes minutes). So a file
 * Vitest has no time for takes its time from the list below (seconds, from a CI run on the
 * 2-core machine); a file in neither runs after those, in Vitest's own order. The list need
 * only be roughly right: it decides the order, never what runs.
 */
import path from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/** Files over ~20 s in CI (2026-12-02, Node 20, 2 workers), in seconds. */
const EXPECTED_SECONDS: Record<string, number> = {
  // Now also the per-node DAG's runs: 340 s alone here (the helper's run), until a CI run times it.
  'test/orchestration/mwaa-dag.test.ts': 400,
  'test/orchestration/mwaa-dag-airflow2.test.ts': 179,
  'test/run/compat.test.ts': 111,
  // test/workflows: from the helper's runs beside other files (session 10), until a CI run times them.
  'test/workflows/run-steps.test.ts': 100,
  'test/workflows/drop-pr-schemas.test.ts': 30,
  'test/upstream/child-build.test.ts': 87,
  'test/dbt/profiles.test.ts': 84,
  'test/select/changed-since.test.ts': 83,
  'test/scripts/packages.test.ts': 80,
  'test/dbt/audit-escaping.test.ts': 80,
  'test/toolchain/venv.test.ts': 73,
  // Two small venvs, one with uv and one with pip (the helper's estimate, until a CI run times it).
  'test/toolchain/uv.test.ts': 25,
  'test/run/cli.test.ts': 70,
  'test/dbt/build.test.ts': 62,
  'test/run/runner.test.ts': 55,
  // Three failing builds (lines, --json, a terminal): from a helper's run beside the full suite, halved.
  'test/run/actionable-output.test.ts': 60,
  // Three workflow runs, dbt-run in the fake ECS task (the helper's run, until a CI run times it).
  'test/orchestration/mwaa-serverless.test.ts': 80,
  'test/scaffold/first-steps.test.ts': 48,
  'test/alerts/sns.test.ts': 47,
  'test/faults/signals-and-kills.test.ts': 47,
  'test/faults/killed-runner.test.ts': 44,
  'test/upstream/bump.test.ts': 43,
  'test/alerts/outbox-sns.test.ts': 42,
  'test/dbt/launch.test.ts': 41,
  'test/faults/one-run-per-target.test.ts': 30,
  // Headless Chromium and the three warehouses: 26 s in the helper's run (session 11), until a CI run times it.
  'test/run/audit-report.test.ts': 26,
  'test/run/flush.test.ts': 25,
  // Timed by the helper beside a full npm test (issue 17), until a CI run times it.
  'test/run/audit-queries.test.ts': 45,
  // A seed and three freshness checks on Postgres, alerts through moto (estimate until a CI run times it).
  'test/run/freshness.test.ts': 30,
  // Three tries of one run on Postgres (the helper-free run: 40 s), until a CI run times it.
  'test/run/resume.test.ts': 40,
  'test/audit/parity.test.ts': 22,
  // Two failing builds on Postgres with alerts through moto (the helper's run, until a CI run times it).
  'test/run/alerted-exit-code.test.ts': 30,
};

export class LongestFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const base = await super.sort(files);
    const expected = (spec: TestSpecification) => {
      const file = path.relative(this.ctx.config.root, spec.moduleId).split(path.sep).join('/');
      const timed = this.ctx.cache.getFileTestResults(`${spec.project.name}:${file}`);
      return timed ? timed.duration / 1000 : (EXPECTED_SECONDS[file] ?? 0);
    };
    // A stable sort: files expected to take as long keep Vitest's order.
    return base
      .map((spec, index) => ({ spec, index, seconds: expected(spec) }))
      .sort((a, b) => b.seconds - a.seconds || a.index - b.index)
      .map(({ spec }) => spec);
  }
}
