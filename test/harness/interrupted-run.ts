/**
 * For tests that stop a dbt-run mid-build (signals, Ctrl-C, a killed dbt):
 * wait until its output shows a point in the run, and read back what the
 * audit recorded of it.
 */
import type { Readable } from 'node:stream';
import { queryPostgres, type TestProduct } from './product.js';

/** Resolves once `output` has printed a match of `pattern`; rejects with what it printed after `timeoutMs`. */
export function waitForOutput(output: Readable | undefined, pattern: RegExp, timeoutMs = 90_000): Promise<void> {
  let seen = '';
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`never printed ${pattern}:\n${seen}`)), timeoutMs);
    output?.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      if (pattern.test(seen)) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
}

/** The product's one invocation row (Postgres) and its nodes' statuses by unique_id. */
export async function recordedRun(
  product: TestProduct,
): Promise<{ invocation: Record<string, unknown> | undefined; status: Record<string, string> }> {
  const audit = `${product.schema}_audit`;
  const [invocation] = await queryPostgres(`select * from ${audit}.dbt_audit_invocations`);
  const rows = await queryPostgres<{ unique_id: string; status: string }>(
    `select unique_id, status from ${audit}.dbt_audit_log where invocation_id = $1`,
    [invocation?.invocation_id],
  );
  return { invocation, status: Object.fromEntries(rows.map((row) => [row.unique_id, row.status])) };
}
