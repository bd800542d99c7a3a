/**
 * The terminal reporter (TtyReporter, listr2) under Ctrl-C: dbt-run's own
 * signal handlers, not listr2's, own SIGINT. Proven in a real pseudo-terminal
 * (util-linux `script`), where Ctrl-C is the byte 0x03 typed into it and the
 * terminal sends SIGINT to dbt-run, with real dbt on the test Postgres.
 */
import { cp } from 'node:fs/promises';
import { execa } from 'execa';
import { describe, expect, inject, it } from 'vitest';
import { type RunReport, TtyReporter } from '../../src/run/reporters.js';
import { recordedRun, waitForOutput } from '../harness/interrupted-run.js';
import { DBT_RUN_BIN, scaffoldTestProduct } from '../harness/product.js';

const SLOW = new URL('../fixtures/runner-slow', import.meta.url).pathname;

/** One word for `sh -c`, quoted. */
const shellWord = (word: string) => `'${word.replaceAll("'", "'\\''")}'`;

describe('TtyReporter', () => {
  it('adds no SIGINT listener of its own while it renders', async () => {
    // Counted as they are added: listr2 removes its listener again when its list ends.
    const added: (string | symbol)[] = [];
    const count = (event: string | symbol) => added.push(event);
    process.on('newListener', count);
    try {
      const reporter = new TtyReporter(
        () => undefined,
        () => undefined,
        'build',
      );
      reporter.start('dbt build');
      const report: RunReport = {
        exitCode: 0,
        status: 'success',
        invocationId: 'i-1',
        counts: {},
        hooks: {},
        failures: { failures: [], skippedUnexplained: [] },
        auditRows: 0,
        auditLocation: null,
        auditError: null,
        elapsedSeconds: 0,
      };
      // finish waits for listr2's list to have been built, run and ended.
      await reporter.finish(report);
    } finally {
      process.off('newListener', count);
    }
    expect(added.filter((event) => event === 'SIGINT' || event === 'SIGTERM')).toEqual([]);
  });
});

describe('dbt-run in a terminal, Ctrl-C while dbt runs (script pty, real dbt on Postgres)', () => {
  it('records the nodes that finished and exits 130, not listr2 exit 127', async () => {
    const product = await scaffoldTestProduct({ name: 'shop' });
    try {
      await cp(SLOW, product.dir, { recursive: true });
      const command = [process.execPath, DBT_RUN_BIN, 'build', '--target', 'postgres', '--select', '+slow_model']
        .map(shellWord)
        .join(' ');
      // A size for the terminal (stdin is a pipe, so script has none to copy), then dbt-run in it.
      const child = execa('script', ['-qefc', `stty cols 120 rows 40; exec ${command}`, '/dev/null'], {
        cwd: product.dir,
        // CI empty: dbt-run takes the terminal reporter only outside CI.
        env: { ...product.env, DBT_PATH: inject('dbtPath'), CI: '', GITHUB_ACTIONS: '', SHELL: '/bin/sh' },
        reject: false,
        all: true,
        stdin: 'pipe',
      });
      // The live title names the running nodes: slow_model runs once its parents finished.
      await waitForOutput(child.all, /running [^\n]*slow_model/);
      // Let slow_model start its 60-second query, then press Ctrl-C in the terminal.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const started = Date.now();
      child.stdin?.write('\x03');
      const result = await child;
      expect(result.exitCode, result.all).toBe(130);
      expect(Date.now() - started).toBeLessThan(30_000);
      expect(result.all).not.toContain('Interrupted.');

      const { invocation, status } = await recordedRun(product);
      expect(invocation, result.all).toMatchObject({ status: 'interrupted', command: 'build' });
      expect(Number(invocation?.exit_code)).toBe(130);
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
