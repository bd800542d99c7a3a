/**
 * What a failing run says to the person who has to fix it (real dbt on
 * DuckDB): each failure with its file (and line, for a YAML test), dbt's
 * message, the compiled SQL, the stored failing rows, and the nodes it
 * skipped; counts that tell nodes from the on-run-end hook; in the log
 * lines, under --json and in a terminal, where a failed run has no green
 * tick. (GitHub annotations and summary: test/github/actions.test.ts.)
 */
import { cp } from 'node:fs/promises';
import { stripVTControlCharacters } from 'node:util';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DBT_RUN_BIN, runDbtRun, scaffoldTestProduct, type TestProduct } from '../harness/product.js';

const FAILURES = new URL('../fixtures/runner-failures', import.meta.url).pathname;
const STORED_FAILURES = new URL('../fixtures/runner-store-failures', import.meta.url).pathname;

let product: TestProduct;
beforeAll(async () => {
  product = await scaffoldTestProduct({ name: 'shop' });
  await cp(FAILURES, product.dir, { recursive: true });
  await cp(STORED_FAILURES, product.dir, { recursive: true });
});
afterAll(() => product?.cleanup());

/** The relation dbt stores accepted_values_checked_id__1's failing rows in. */
const STORED = /select \* from "[^"]+"\."[^"]+_dbt_test__audit"\."accepted_values_checked_id__1"/;

describe('a failing build, in lines (CI logs)', () => {
  it('ends with a block per failure, then counts that say what they count', async () => {
    const run = await runDbtRun(product, ['build']);
    expect(run.exitCode, run.output).toBe(1);
    const stderr = run.stderr.split('\n');
    const block = (first: string) => stderr.slice(stderr.indexOf(first));

    expect(block('✗ error model broken (models/failing/broken.sql)').slice(0, 3)).toEqual([
      '✗ error model broken (models/failing/broken.sql)',
      '    Runtime Error in model broken (models/failing/broken.sql)',
      '      Binder Error: Referenced column "no_such_column" not found in FROM clause!',
    ]);
    expect(stderr).toContain('    compiled SQL: target/compiled/shop/models/failing/broken.sql');
    expect(stderr).toContain('    skipped because of it (1): model after_broken');

    expect(block('✗ fail test no_big_spenders (tests/no_big_spenders.sql)').slice(0, 4)).toEqual([
      '✗ fail test no_big_spenders (tests/no_big_spenders.sql)',
      expect.stringMatching(/^ {4}Got \d+ results?, configured to fail if != 0$/),
      '    compiled SQL: target/compiled/shop/tests/no_big_spenders.sql',
      '    failing rows: not stored (the test has no store_failures); the compiled SQL selects them',
    ]);

    const stored = block('✗ fail test accepted_values_checked_id__1 (models/stored/_stored.yml:11)');
    expect(stored.slice(0, 5)).toEqual([
      '✗ fail test accepted_values_checked_id__1 (models/stored/_stored.yml:11)',
      '    Got 1 result, configured to fail if != 0',
      '    compiled SQL: target/compiled/shop/models/stored/_stored.yml/accepted_values_checked_id__1.sql',
      expect.stringMatching(new RegExp(`^ {4}failing rows: ${STORED.source}$`)),
      '    skipped because of it (1): model after_checked',
    ]);
    // dbt's own summary of the same failures is not printed a second time.
    expect(run.stderr).not.toContain('Failure in model broken');

    // 33 nodes, the hook apart; the audit's rows are nodes and the hook, with the invocation row.
    expect(run.stdout).toMatch(
      /^dbt-run: failed \(exit 1\) in [\d.]+s; 33 nodes: 12 success, 15 pass, 1 warn, 1 error, 2 fail, 2 skipped; 1 hook: 1 success; invocation \S+$/m,
    );
    expect(run.stdout).toContain(
      `audit: 34 rows written to duckdb ${product.duckdbPath} (33 nodes, 1 hook) with the invocation row`,
    );
  });
});

describe('a failing build under --json', () => {
  it('names the thread of each node, the node of each dbt error, and gives a failure event per failed node', async () => {
    const run = await runDbtRun(product, ['build', '--json']);
    expect(run.exitCode, run.output).toBe(1);
    const events = run.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    const nodes = events.filter((event) => event.type === 'node');
    expect(nodes.every((event) => /^Thread-\d+ \(worker\)$/.test(event.thread))).toBe(true);
    const dbtErrors = events.filter((event) => event.type === 'dbt_error');
    expect(dbtErrors.map((event) => event.uniqueId)).toContain('model.shop.broken');

    const failures = events.filter((event) => event.type === 'failure');
    expect(failures.find((event) => event.uniqueId === 'model.shop.broken')).toEqual({
      type: 'failure',
      uniqueId: 'model.shop.broken',
      name: 'broken',
      resourceType: 'model',
      status: 'error',
      message: expect.stringContaining('no_such_column'),
      file: 'models/failing/broken.sql',
      line: 1,
      compiledPath: 'target/compiled/shop/models/failing/broken.sql',
      failingRowsQuery: null,
      skipped: ['model.shop.after_broken'],
    });
    expect(failures.find((event) => event.name === 'accepted_values_checked_id__1')).toMatchObject({
      file: 'models/stored/_stored.yml',
      line: 11,
      failingRowsQuery: expect.stringMatching(STORED),
      skipped: ['model.shop.after_checked'],
    });
    expect(failures.map((event) => event.name).sort()).toEqual([
      'accepted_values_checked_id__1',
      'broken',
      'no_big_spenders',
    ]);
    expect(events.at(-1)).toMatchObject({
      type: 'summary',
      exitCode: 1,
      counts: { success: 12, pass: 15, warn: 1, error: 1, fail: 2, skipped: 2 },
      hooks: { success: 1 },
      auditRows: 34,
      skippedUnexplained: [],
    });
  });
});

describe('a failing build in a terminal (script pty)', () => {
  it('ends on ✖, not a green tick, with how the nodes ended', async () => {
    const command = `stty cols 160 rows 40; ${process.execPath} ${DBT_RUN_BIN} build`;
    const run = await execa('script', ['-qfec', command, '/dev/null'], {
      cwd: product.dir,
      env: { ...product.env, DBT_PATH: inject('dbtPath'), CI: '', GITHUB_ACTIONS: '', TERM: 'xterm' },
      reject: false,
      stdin: 'ignore',
    });
    const screen = stripVTControlCharacters(run.stdout);
    expect(run.exitCode, screen).toBe(1);
    expect(screen).toContain('✖ dbt build: 33 of 33 nodes finished (27 ok, 1 warned, 3 failed, 2 skipped)');
    expect(screen).not.toMatch(/✔ dbt build/);
    expect(screen).toContain('    skipped because of it (1): model after_checked');
  });
});
