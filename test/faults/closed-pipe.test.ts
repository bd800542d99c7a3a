/**
 * Output into a pipe whose reader has gone (`dbt-run --json | head -1`):
 * the CLIs end their output quietly instead of crashing on EPIPE, and a run
 * goes on to the end and is recorded.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, inject, it } from 'vitest';
import { queryDuckDb } from '../../src/warehouse/duckdb.js';
import { DBT_RUN_BIN, scaffoldTestProduct } from '../harness/product.js';

const CREATE_BIN = fileURLToPath(
  new URL('../../packages/create-dbt-product/bin/create-dbt-product.js', import.meta.url),
);

interface Closed {
  code: number | null;
  stderr: string;
  /** What the reader got before it went away. */
  read: string;
}

/**
 * Runs a CLI whose stdout reader goes away: at once, or after the first line
 * (what `| head -1` does).
 */
function withReaderGone(
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; after?: 'nothing' | 'first-line' } = {},
): Promise<Closed> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let read = '';
    let stderr = '';
    if (options.after === 'first-line') {
      child.stdout.on('data', (chunk: Buffer) => {
        read += chunk.toString();
        if (read.includes('\n')) child.stdout.destroy();
      });
    } else child.stdout.destroy();
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr, read: read.split('\n')[0] ?? '' }));
  });
}

describe('a closed output pipe', () => {
  it('ends --help quietly, exit 0, for both CLIs', async () => {
    for (const bin of [DBT_RUN_BIN, CREATE_BIN]) {
      const closed = await withReaderGone([bin, '--help']);
      expect(closed.stderr, bin).not.toMatch(/EPIPE|Unhandled|Error/);
      expect(closed.code, `${bin}: ${closed.stderr}`).toBe(0);
    }
  });

  it('does not stop a run: dbt-run --json | head -1 still records every node and keeps the exit code', async () => {
    const product = await scaffoldTestProduct({ name: 'shop' });
    try {
      const closed = await withReaderGone([DBT_RUN_BIN, 'build', '--select', '+stg_orders +stg_customers', '--json'], {
        cwd: product.dir,
        env: { ...process.env, ...product.env, DBT_PATH: inject('dbtPath'), CI: 'true', GITHUB_ACTIONS: '' },
        after: 'first-line',
      });
      expect(JSON.parse(closed.read)).toMatchObject({ type: 'start' });
      expect(closed.stderr).not.toMatch(/EPIPE|Unhandled/);
      expect(closed.code, closed.stderr).toBe(0);

      const [invocation] = await queryDuckDb(
        product.duckdbPath,
        `select invocation_id, status, nodes_total from ${product.schema}_audit.dbt_audit_invocations`,
      );
      expect(invocation).toMatchObject({ status: 'success' });
      const [{ rows }] = (await queryDuckDb(
        product.duckdbPath,
        `select count(*)::integer as rows from ${product.schema}_audit.dbt_audit_log where invocation_id = '${invocation?.invocation_id}' and resource_type <> 'operation'`,
      )) as [{ rows: number }];
      expect(rows).toBe(Number(invocation?.nodes_total));
      expect(rows).toBeGreaterThan(2);
    } finally {
      await product.cleanup();
    }
  });
});
