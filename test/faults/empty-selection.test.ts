/**
 * No silent green: a selection that matches no node (a typo) fails the run
 * with dbt's own words, unless --allow-empty; a criterion that matches
 * nothing beside others that do is shown as a warning (real dbt on DuckDB).
 */
import { describe, expect, it } from 'vitest';
import { emptySelectionError } from '../../src/run/execute.js';
import { queryDuckDb } from '../../src/warehouse/duckdb.js';
import { runDbtRun, scaffoldTestProduct } from '../harness/product.js';

const UNMATCHED = "The selection criterion 'nope_model' does not match any enabled nodes";

describe('emptySelectionError', () => {
  const empty = { nothingToDo: true, unmatched: [UNMATCHED] };
  it('fails a selected run that had nothing to do, in dbt words', () => {
    expect(emptySelectionError(empty, 'success', { selected: true, allowEmpty: false })).toBe(
      `${UNMATCHED}: nothing ran; check the selection, or pass --allow-empty to accept an empty one`,
    );
  });
  it('leaves alone --allow-empty, runs without a selection (dbt retry after a green run), and runs that ran', () => {
    expect(emptySelectionError(empty, 'success', { selected: true, allowEmpty: true })).toBeUndefined();
    expect(emptySelectionError(empty, 'success', { selected: false, allowEmpty: false })).toBeUndefined();
    expect(
      emptySelectionError({ nothingToDo: false, unmatched: [UNMATCHED] }, 'success', {
        selected: true,
        allowEmpty: false,
      }),
    ).toBeUndefined();
    expect(emptySelectionError(empty, 'error', { selected: true, allowEmpty: false })).toBeUndefined();
  });
});

describe('dbt-run with a selection that matches nothing', () => {
  it('exits 2 naming the criterion, records the invocation as an error; --allow-empty accepts it', async () => {
    const product = await scaffoldTestProduct({ name: 'shop' });
    try {
      const typo = await runDbtRun(product, ['build', '-s', 'nope_model']);
      expect(typo.exitCode, typo.output).toBe(2);
      expect(typo.stderr).toContain(`error: ${UNMATCHED}: nothing ran;`);
      expect(typo.stdout).toMatch(/error \(exit 2\)/);
      const invocations = await queryDuckDb(
        product.duckdbPath,
        `select status, exit_code, error_message from ${product.schema}_audit.dbt_audit_invocations`,
      );
      expect(invocations).toEqual([
        { status: 'error', exit_code: '2', error_message: expect.stringContaining(UNMATCHED) },
      ]);

      const allowed = await runDbtRun(product, ['build', '-s', 'nope_model', '--allow-empty']);
      expect(allowed.exitCode, allowed.output).toBe(0);

      const partly = await runDbtRun(product, ['build', '-s', 'raw_orders nope_model']);
      expect(partly.exitCode, partly.output).toBe(0);
      expect(partly.stderr).toContain(`warning: ${UNMATCHED}`);
      expect(partly.stdout).toContain('success seed raw_orders');
    } finally {
      await product.cleanup();
    }
  });
});
