/** Audit batches shaped like real ones (every column filled), for sink tests and the Data API benchmark. */
import { randomBytes } from 'node:crypto';
import { AUDIT_COLUMNS, type AuditRow, INVOCATION_COLUMNS, type InvocationRow } from '../../src/audit/columns.js';
import type { AuditBatch } from '../../src/audit/sinks/types.js';

/** An invocation of `nodes` view models; `message` gives each node's message. */
export function syntheticBatch(
  nodes: number,
  message: (index: number) => string = (index) => `OK created view m_${index}`,
) {
  const invocationId = `inv-${randomBytes(6).toString('hex')}`;
  const invocation = Object.fromEntries(INVOCATION_COLUMNS.map((column) => [column.name, null])) as InvocationRow;
  Object.assign(invocation, {
    invocation_id: invocationId,
    product_name: 'orders',
    target_name: 'prod',
    command: 'build',
    status: 'success',
    exit_code: 0,
    started_at: '2026-11-21 05:00:00.000000',
    nodes_total: nodes,
  });
  const rows: AuditRow[] = Array.from({ length: nodes }, (_, index) => {
    const row = Object.fromEntries(AUDIT_COLUMNS.map((column) => [column.name, null])) as AuditRow;
    return Object.assign(row, {
      load_id: `${invocationId}.${index}`,
      invocation_id: invocationId,
      database_name: 'dev',
      schema_name: 'orders',
      name: `m_${index}`,
      resource_type: 'model',
      status: 'success',
      execution_time: 0.25 + index / 1e6,
      rows_affected: index,
      product_name: 'orders',
      target_name: 'prod',
      unique_id: `model.orders.m_${index}`,
      package_name: 'orders',
      materialization: 'view',
      relation_name: `"dev"."orders"."m_${index}"`,
      started_at: '2026-11-21 05:00:01.123456',
      completed_at: '2026-11-21 05:00:01.373456',
      message: message(index),
      dbt_version: '1.11.16',
      run_source: 'github',
      run_url: 'https://github.com/acme/orders/actions/runs/123',
      git_sha: 'a'.repeat(40),
      invocation_started_at: '2026-11-21 05:00:00.000000',
      tags: '["nightly","finance"]',
      meta: '{"owner":"orders-team@example.com"}',
    });
  });
  return { invocationId, invocation, nodes: rows } satisfies AuditBatch;
}
