/**
 * `run.failed` version 2: the failure alert, one shape for every producer.
 * dbt-run knows the dbt side (counts, nodes, messages, the audit query); an
 * orchestrator knows its tasks and nothing of the nodes inside them, so what
 * only dbt-run can know is null there. Version 1 had two shapes under one
 * number (the DAG's lacked counts and status and listed bare task ids):
 * hence version 2.
 */
import { z } from 'zod';
import { defineMessage, header, RUN_STATUSES, sender, timestamp } from './definition.js';

const count = z.number().int().nonnegative();

export const runFailedCounts = z.object({
  total: count.describe('Nodes dbt reported on.'),
  success: count.describe('Models, seeds and snapshots built.'),
  error: count.describe('Nodes that errored (tests included).'),
  skipped: count.describe('Nodes skipped (after an upstream failure).'),
  pass: count.describe('Tests that passed.'),
  fail: count.describe('Tests that failed.'),
  warn: count.describe('Tests that warned.'),
});

export const runFailedFailure = z.object({
  unique_id: z.string().nullable().describe("dbt's unique id of the node; null when only a task is known."),
  name: z.string().nullable().describe('Node name; null when only a task is known.'),
  resource_type: z.string().nullable().describe('model, seed, snapshot, test...; null when only a task is known.'),
  status: z
    .string()
    .describe("dbt's status of the node (error, fail, warn), or the Airflow task's state (failed, upstream_failed)."),
  relation_name: z.string().nullable().describe('The relation the node builds, when it builds one.'),
  message: z
    .string()
    .nullable()
    .describe("dbt's message, trimmed to 2,000 characters; null when only a task is known."),
  compiled_path: z
    .string()
    .nullable()
    .describe(
      'The SQL dbt ran for the node, relative to the project (target/compiled/...); null for nodes without SQL (seeds) and from an orchestrator.',
    ),
  failing_rows_query: z
    .string()
    .nullable()
    .describe(
      "A ready `select` of a failed test's failing rows, where dbt stored them (store_failures); null when they were not stored.",
    ),
  skipped_count: count
    .nullable()
    .describe('Nodes dbt skipped because this one failed; null when not known (an orchestrator, a recovered run).'),
  task_id: z.string().nullable().describe('The Airflow task that failed; null from dbt-run.'),
});

export const runFailedSchema = z
  .object({
    ...header('run.failed', 2),
    severity: z
      .enum(['error', 'warning'])
      .describe('warning when only tests warned (`include_warnings`); also an SNS attribute.'),
    ...sender,
    dag_id: z.string().nullable().describe('The Airflow DAG or workflow that ran; null from dbt-run.'),
    target: z.string().nullable().describe('The dbt target.'),
    command: z
      .string()
      .nullable()
      .describe('The dbt command dbt-run ran (build, run...); null when dbt ran node by node.'),
    selection: z.string().nullable().describe('Selection arguments, when the run had some.'),
    invocation_id: z
      .string()
      .describe(
        "dbt's invocation id (the audit log's key), or the orchestrator's run id; consumers deduplicate on it.",
      ),
    status: z
      .enum(RUN_STATUSES)
      .describe('How the run ended: failed (a node failed), error (dbt, the runner or a task failed)...'),
    exit_code: z.number().int().nullable().describe("dbt-run's exit code; null from an orchestrator."),
    started_at: timestamp.nullable().describe('When the run started (UTC, YYYY-MM-DD HH:MM:SS.ffffff).'),
    completed_at: timestamp.nullable().describe('When the run ended (UTC).'),
    counts: runFailedCounts
      .nullable()
      .describe("The run's nodes by status, as the audit counts them; null from an orchestrator."),
    failures: z
      .array(runFailedFailure)
      .describe("What failed: dbt nodes from dbt-run, tasks from an orchestrator; kept under SNS's 256 KB."),
    failures_not_listed: count.describe('Failures left out of `failures` to stay under 256 KB.'),
    error_message: z.string().nullable().describe('Why dbt or the runner stopped, when it did (trimmed).'),
    run_url: z.string().nullable().describe('The CI run or the Airflow task log.'),
    git_sha: z.string().nullable().describe('The commit that ran, when known.'),
    audit_query: z
      .string()
      .nullable()
      .describe("A ready SQL query for the run's rows in the audit log; null from an orchestrator."),
  })
  .describe('The failure alert: a node errored, a test failed (or warned, when asked), dbt or a task failed.');

export type RunFailed = z.infer<typeof runFailedSchema>;
export type RunFailedFailure = z.infer<typeof runFailedFailure>;

export const RUN_FAILED = defineMessage(runFailedSchema);
