/**
 * A known audit history for the `dbt-run audit` questions, relative to a
 * base time (whole seconds): 20 runs of product `shop` on `prod`, one every
 * six hours, and 4 a week earlier; a model that errors once; a unique test
 * that flaps (fails in runs 2, 7 and 8); a test skipped once; a source
 * whose latest freshness check errors (stale) and one that passes; and one
 * run of another product on `dev`. Each question's expected rows are spelled
 * out from this description in the test.
 */
import { AUDIT_COLUMNS, type AuditRow, INVOCATION_COLUMNS, type InvocationRow } from '../../src/audit/columns.js';
import type { AuditBatch } from '../../src/audit/sinks/types.js';

export interface SeedNode {
  unique_id: string;
  name: string;
  resource_type: string;
  status: string;
  execution_time: number;
  rows_affected?: number;
  failures?: number;
  message?: string;
}

export interface SeedRun {
  invocationId: string;
  product: string;
  target: string;
  /** Hours before the base time it started. */
  hoursAgo: number;
  elapsed: number;
  runUrl: string;
  nodes: SeedNode[];
}

/** The in-window runs: run i started i * 6 + 1 hours ago. */
export const RUN_COUNT = 20;
export const UNIQUE_TEST_FAILS = new Set([2, 7, 8]);
export const PAYMENTS_ERROR_RUN = 3;
export const ORDERS_SECONDS = [1, 2, 3, 4];
export const STALE_MESSAGE = 'source shop.raw.orders is stale: last loaded 30 hours ago (error after 24 hours)';
export const PAYMENTS_MESSAGE = 'Database Error in model payments: relation "raw.payments" does not exist';

const runId = (index: number) => `inv-${String(index).padStart(2, '0')}`;
const runUrl = (index: number) => `https://github.com/acme/shop/actions/runs/${1000 + index}`;

function shopNodes(index: number): SeedNode[] {
  const nodes: SeedNode[] = [
    {
      unique_id: 'model.shop.orders',
      name: 'orders',
      resource_type: 'model',
      status: 'success',
      execution_time: ORDERS_SECONDS[index % 4] as number,
      rows_affected: 100 + index,
    },
    {
      unique_id: 'model.shop.customers',
      name: 'customers',
      resource_type: 'model',
      status: 'success',
      execution_time: 0.5,
      rows_affected: 40,
    },
    index === PAYMENTS_ERROR_RUN
      ? {
          unique_id: 'model.shop.payments',
          name: 'payments',
          resource_type: 'model',
          status: 'error',
          execution_time: 0.05,
          message: PAYMENTS_MESSAGE,
        }
      : {
          unique_id: 'model.shop.payments',
          name: 'payments',
          resource_type: 'model',
          status: 'success',
          execution_time: 1.5,
          rows_affected: 7,
        },
    {
      unique_id: 'seed.shop.raw_orders',
      name: 'raw_orders',
      resource_type: 'seed',
      status: 'success',
      execution_time: 0.25,
    },
    {
      unique_id: 'test.shop.not_null_orders_id',
      name: 'not_null_orders_id',
      resource_type: 'test',
      status: 'pass',
      execution_time: 0.1,
      failures: 0,
    },
    UNIQUE_TEST_FAILS.has(index)
      ? {
          unique_id: 'test.shop.unique_orders_id',
          name: 'unique_orders_id',
          resource_type: 'test',
          status: 'fail',
          execution_time: 0.1,
          failures: 2,
          message: 'Got 2 results, configured to fail if != 0',
        }
      : {
          unique_id: 'test.shop.unique_orders_id',
          name: 'unique_orders_id',
          resource_type: 'test',
          status: 'pass',
          execution_time: 0.1,
          failures: 0,
        },
    {
      unique_id: 'test.shop.accepted_values_payments_method',
      name: 'accepted_values_payments_method',
      resource_type: 'test',
      // Skipped when payments failed: says nothing about the test, so no flip.
      status: index === PAYMENTS_ERROR_RUN ? 'skipped' : 'pass',
      execution_time: 0.1,
      failures: 0,
    },
  ];
  if (index % 5 === 0) {
    nodes.push(
      index === 0
        ? {
            unique_id: 'source.shop.raw.orders',
            name: 'orders',
            resource_type: 'source',
            status: 'error',
            execution_time: 0.2,
            message: STALE_MESSAGE,
          }
        : {
            unique_id: 'source.shop.raw.orders',
            name: 'orders',
            resource_type: 'source',
            status: 'pass',
            execution_time: 0.2,
          },
    );
  }
  if (index % 5 === 0 && index > 0)
    nodes.push({
      unique_id: 'source.shop.raw.customers',
      name: 'customers_source',
      resource_type: 'source',
      status: 'pass',
      execution_time: 0.2,
    });
  return nodes;
}

/** The whole history, newest run first. */
export function seedRuns(): SeedRun[] {
  const runs: SeedRun[] = [];
  runs.push({
    invocationId: 'other-00',
    product: 'other',
    target: 'dev',
    hoursAgo: 2,
    elapsed: 12,
    runUrl: 'https://github.com/acme/other/actions/runs/1',
    nodes: [
      { unique_id: 'model.other.things', name: 'things', resource_type: 'model', status: 'success', execution_time: 9 },
    ],
  });
  for (let index = 0; index < RUN_COUNT; index++) {
    runs.push({
      invocationId: runId(index),
      product: 'shop',
      target: 'prod',
      hoursAgo: index * 6 + 1,
      elapsed: 30 + index,
      runUrl: runUrl(index),
      nodes: shopNodes(index),
    });
  }
  // The week before: orders took 2 s, customers 1 s; the unique test failed (outside every window but slowest's).
  for (let index = 0; index < 4; index++) {
    runs.push({
      invocationId: `old-${index}`,
      product: 'shop',
      target: 'prod',
      hoursAgo: 8 * 24 + index * 6,
      elapsed: 20,
      runUrl: `https://github.com/acme/shop/actions/runs/${900 + index}`,
      nodes: [
        {
          unique_id: 'model.shop.orders',
          name: 'orders',
          resource_type: 'model',
          status: 'success',
          execution_time: 2,
        },
        {
          unique_id: 'model.shop.customers',
          name: 'customers',
          resource_type: 'model',
          status: 'success',
          execution_time: 1,
        },
        {
          unique_id: 'test.shop.unique_orders_id',
          name: 'unique_orders_id',
          resource_type: 'test',
          status: index % 2 ? 'fail' : 'pass',
          execution_time: 0.1,
        },
        {
          unique_id: 'source.shop.raw.legacy',
          name: 'legacy',
          resource_type: 'source',
          status: 'pass',
          execution_time: 0.1,
        },
      ],
    });
  }
  return runs;
}

/** Base time minus `hours`, as the audit tables store it. */
export function storedTime(base: Date, hours: number): string {
  return new Date(base.getTime() - hours * 3_600_000).toISOString().replace('T', ' ').replace('Z', '000');
}

/** Base time minus `hours`, as the questions answer (ISO 8601, UTC, to the second). */
export function answeredTime(base: Date, hours: number): string {
  return `${new Date(base.getTime() - hours * 3_600_000).toISOString().slice(0, 19)}Z`;
}

const countOf = (run: SeedRun, ...statuses: string[]) =>
  run.nodes.filter((node) => statuses.includes(node.status)).length;

/** The invocation's status as dbt-run records it. */
export function runStatus(run: SeedRun): 'success' | 'failed' {
  return countOf(run, 'error', 'fail') ? 'failed' : 'success';
}

/** One run as the sinks take it. */
export function seedBatch(run: SeedRun, base: Date): AuditBatch {
  const started = storedTime(base, run.hoursAgo);
  const invocation = Object.fromEntries(INVOCATION_COLUMNS.map((column) => [column.name, null])) as InvocationRow;
  Object.assign(invocation, {
    invocation_id: run.invocationId,
    product_name: run.product,
    target_name: run.target,
    command: 'build',
    dbt_version: '1.11.2',
    status: runStatus(run),
    exit_code: runStatus(run) === 'failed' ? 1 : 0,
    started_at: started,
    completed_at: storedTime(base, run.hoursAgo - run.elapsed / 3600),
    elapsed_seconds: run.elapsed,
    nodes_total: run.nodes.length,
    nodes_success: countOf(run, 'success'),
    nodes_error: countOf(run, 'error'),
    nodes_skipped: countOf(run, 'skipped'),
    nodes_pass: countOf(run, 'pass'),
    nodes_fail: countOf(run, 'fail'),
    nodes_warn: countOf(run, 'warn'),
    nodes_other: 0,
    run_source: 'github',
    run_url: run.runUrl,
    recorded_at: started,
  });
  const nodes = run.nodes.map((node) => {
    const row = Object.fromEntries(AUDIT_COLUMNS.map((column) => [column.name, null])) as AuditRow;
    return Object.assign(row, {
      load_id: `${run.invocationId}.${node.unique_id}`,
      invocation_id: run.invocationId,
      database_name: 'dev',
      schema_name: run.product,
      name: node.name,
      resource_type: node.resource_type,
      status: node.status,
      execution_time: node.execution_time,
      rows_affected: node.rows_affected ?? 0,
      model_execution_date: started.slice(0, 10),
      product_name: run.product,
      target_name: run.target,
      unique_id: node.unique_id,
      package_name: run.product,
      started_at: started,
      completed_at: started,
      message: node.message ?? (node.status === 'success' ? 'OK' : node.status.toUpperCase()),
      failures: node.failures ?? null,
      run_source: 'github',
      run_url: run.runUrl,
      invocation_started_at: started,
      recorded_by: 'runner',
      recorded_at: started,
    });
  });
  return { invocationId: run.invocationId, invocation, nodes };
}
