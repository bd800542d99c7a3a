/** DBT_PRODUCT_KIT_TIMINGS: where a run's time goes besides dbt's, one JSON line per run. */
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runTimings, TIMINGS_ENV, timingsLine } from '../../src/run/timings.js';
import { tempDir } from '../harness/product.js';

const mark = (at: number, cpuSeconds: number) => ({ at, cpu: { user: cpuSeconds * 1e6, system: 0 } });

describe('timingsLine', () => {
  it('splits the run into before dbt, the runner CPU while dbt ran, and after dbt', () => {
    const steps: [string, ReturnType<typeof mark>][] = [
      ['collected', mark(10.5, 0.6)],
      ['recorded', mark(10.65, 0.7)],
    ];
    expect(
      timingsLine({ dbtStarted: mark(0.4, 0.3), dbtEnded: mark(10.4, 0.5), steps, end: mark(10.7, 0.75) }),
    ).toEqual({
      before_dbt_s: 0.4,
      runner_cpu_during_dbt_s: expect.closeTo(0.2, 9),
      after_dbt_s: expect.closeTo(0.3, 9),
      total_s: 10.7,
      runner_cpu_s: 0.75,
      after_dbt_steps_s: { collected: expect.closeTo(0.1, 9), recorded: expect.closeTo(0.25, 9) },
    });
  });

  it('has nothing to say of a run whose dbt never started, and no end of dbt when it never ended', () => {
    expect(timingsLine({ end: mark(1, 1) })).toBeUndefined();
    expect(timingsLine({ dbtStarted: mark(0.5, 0.1), end: mark(2, 1) })).toMatchObject({
      runner_cpu_during_dbt_s: null,
      after_dbt_s: null,
    });
  });
});

describe('runTimings', () => {
  let dir: string | undefined;
  afterEach(() => (dir ? rm(dir, { recursive: true, force: true }) : undefined));

  it('appends one line per run to the file the variable names, and writes nothing without it', async () => {
    dir = await tempDir();
    const file = path.join(dir, 'timings.jsonl');
    for (let run = 0; run < 2; run++) {
      const timings = runTimings({ [TIMINGS_ENV]: file });
      timings.dbtStarted();
      timings.dbtEnded();
      await timings.finish();
    }
    const lines = (await readFile(file, 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines).toHaveLength(2);
    for (const line of lines) {
      expect(line.before_dbt_s).toBeGreaterThan(0);
      expect(line.after_dbt_s).toBeGreaterThanOrEqual(0);
      expect(line.total_s).toBeGreaterThanOrEqual(line.before_dbt_s);
    }
    const silent = runTimings({});
    silent.dbtStarted();
    await silent.finish();
    expect((await readFile(file, 'utf8')).trim().split('\n')).toHaveLength(2);
  });
});
