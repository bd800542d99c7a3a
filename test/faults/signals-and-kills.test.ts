/**
 * Issue 15, items 2 and 6: dbt-run stopped by a signal (SIGTERM, Ctrl-C,
 * SIGHUP, two at once) and dbt killed by something else. dbt cancels on the
 * first signal and is killed on a second; whatever happened, the nodes that
 * finished are recorded, the exit code says how the run ended, and a killed
 * dbt is named with the node it was running.
 */
import { existsSync } from 'node:fs';
import { chmod, cp, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { describe, expect, inject, it } from 'vitest';
import { recordedRun, waitForOutput } from '../harness/interrupted-run.js';
import { DBT_RUN_BIN, scaffoldTestProduct } from '../harness/product.js';

const SLOW = fileURLToPath(new URL('../fixtures/runner-slow', import.meta.url));

/** The ways a run is stopped: dbt cancels its queries on the first signal and is killed on a second. */
const INTERRUPTIONS = [
  { label: 'SIGTERM', signals: ['SIGTERM'], exitCodes: [143], killed: false },
  { label: 'SIGINT (Ctrl-C)', signals: ['SIGINT'], exitCodes: [130], killed: false },
  // A closed terminal (or ssh session) sends SIGHUP: Node's default would end dbt-run without recording.
  { label: 'SIGHUP (terminal closed)', signals: ['SIGHUP'], exitCodes: [129], killed: false },
  // Two different signals (the same one sent twice at once is delivered once: signals do not
  // queue), sent at once, so dbt has little time to cancel before the second kills it. Their
  // order of delivery is not defined: the exit code is the first one's.
  {
    label: 'SIGINT and SIGTERM at once (dbt killed)',
    signals: ['SIGINT', 'SIGTERM'],
    exitCodes: [130, 143],
    killed: true,
  },
] as const;

describe.each(INTERRUPTIONS)('dbt-run interrupted by $label (real dbt on Postgres)', (interruption) => {
  it(`stops dbt, records the nodes that finished, and exits ${interruption.exitCodes.join(' or ')}`, async () => {
    const product = await scaffoldTestProduct({ name: 'shop' });
    try {
      await cp(SLOW, product.dir, { recursive: true });
      const child = execa(process.execPath, [DBT_RUN_BIN, 'build', '--target', 'postgres', '--select', '+slow_model'], {
        cwd: product.dir,
        env: { ...product.env, DBT_PATH: inject('dbtPath'), CI: 'true', GITHUB_ACTIONS: '' },
        reject: false,
        all: true,
      });
      await waitForOutput(child.all, /success model stg_orders/);
      // Let slow_model start its 60-second query, then stop the run.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const started = Date.now();
      for (const signal of interruption.signals) child.kill(signal);
      const result = await child;
      expect(interruption.exitCodes, result.all).toContain(result.exitCode);
      expect(Date.now() - started).toBeLessThan(30_000);

      const { invocation, status } = await recordedRun(product);
      expect(invocation).toMatchObject({ status: 'interrupted', command: 'build' });
      expect(Number(invocation?.exit_code)).toBe(result.exitCode);
      // dbt cancelling writes run_results.json. A killed dbt may have written none, all or part of
      // it (the kill races the write): the rows then come from the file when it is whole and this
      // invocation's, else from dbt's event stream; either way the finished nodes are recorded.
      const runResults = path.join(product.dir, 'target', 'run_results.json');
      if (!interruption.killed) expect(existsSync(runResults), result.all).toBe(true);
      expect(status).toMatchObject({
        'seed.shop.raw_orders': 'success',
        'model.shop.stg_orders': 'success',
      });
      expect(status['model.shop.slow_model']).not.toBe('success');
    } finally {
      await product.cleanup();
    }
  });
});

describe('dbt killed by something else (kill -9, the OOM killer; real dbt on Postgres)', () => {
  it('names the kill and what was running, records the finished nodes and the one in flight as interrupted', async () => {
    const product = await scaffoldTestProduct({ name: 'shop' });
    try {
      await cp(SLOW, product.dir, { recursive: true });
      // A wrapper that leaves dbt's PID behind, then becomes dbt.
      const wrapper = path.join(product.dir, 'dbt-with-pid.sh');
      await writeFile(wrapper, `#!/bin/sh\necho $$ > "${product.dir}/dbt.pid"\nexec "${inject('dbtPath')}" "$@"\n`);
      await chmod(wrapper, 0o755);
      const child = execa(process.execPath, [DBT_RUN_BIN, 'build', '--target', 'postgres', '--select', '+slow_model'], {
        cwd: product.dir,
        env: { ...product.env, DBT_PATH: wrapper, CI: 'true', GITHUB_ACTIONS: '' },
        reject: false,
        all: true,
      });
      await waitForOutput(child.all, /success model stg_orders/);
      await new Promise((resolve) => setTimeout(resolve, 1500)); // slow_model's query is running
      process.kill(Number(await readFile(path.join(product.dir, 'dbt.pid'), 'utf8')), 'SIGKILL');
      const result = await child;
      expect(result.exitCode, result.all).toBe(2);

      const { invocation, status } = await recordedRun(product);
      expect(invocation).toMatchObject({ status: 'error', exit_code: '2' });
      expect(String(invocation?.error_message)).toMatch(/^dbt was killed by SIGKILL while running slow_model/);
      expect(status).toMatchObject({
        'seed.shop.raw_orders': 'success',
        'model.shop.stg_orders': 'success',
        'model.shop.slow_model': 'interrupted',
      });
    } finally {
      await product.cleanup();
    }
  });
});
