/**
 * What the orchestrators' templates need to build messages exactly as
 * defined, without typing the definitions again (pure): the Cosmos DAG gets
 * each message's fixed header and its field names, in order, as Python
 * constants, and fills in what it knows (the rest is null); the MWAA
 * Serverless workflow, whose messages are Jinja strings, gets them whole,
 * every field in place and Airflow's template expressions where values are
 * only known when the task runs.
 */
import type { z } from 'zod';
import { MANIFEST_SCHEMA_PATH } from '../schemas/json-schema.js';
import { fieldNames, PYTHON_TIMESTAMP_FORMAT } from './definition.js';
import { PRODUCT_COMPLETED, type ProductCompleted } from './product-completed.js';
import { RUN_FAILED, type RunFailed, runFailedFailure } from './run-failed.js';

/** A Python constant's entry: a name and its value as a literal (JSON's strings and numbers are Python's too). */
interface PythonEntry {
  name: string;
  literal: string;
}

interface DagMessage {
  /** schema, version, event_type, producer. */
  fixed: PythonEntry[];
  fields: string[];
}

export interface MessageTemplates {
  runFailed: DagMessage & { failureFields: string[] };
  productCompleted: DagMessage;
  /** strftime's pattern for the messages' timestamps. */
  timestampFormat: string;
  /** dbt-product.yml's JSON Schema, relative to the project, which the DAG validates the file with. */
  manifestSchema: string;
  /** The MWAA Serverless workflow's documents, as JSON text with Jinja in it. */
  serverless: { runFailed: string; productCompleted: string };
}

function fixed(definition: { schemaId: string; version: number; eventType: string }): PythonEntry[] {
  return Object.entries({
    schema: definition.schemaId,
    version: definition.version,
    event_type: definition.eventType,
    producer: 'airflow',
  }).map(([name, value]) => ({ name, literal: JSON.stringify(value) }));
}

/** Jinja, rendered by Airflow when the task runs. */
const jinja = {
  runId: '{{ run_id }}',
  dagId: '{{ dag.dag_id }}',
  startedAt: `{{ dag_run.start_date.strftime('${PYTHON_TIMESTAMP_FORMAT}') }}`,
  now: `{{ macros.datetime.now(macros.dateutil.tz.UTC).strftime('${PYTHON_TIMESTAMP_FORMAT}') }}`,
};

/**
 * Why the workflow alerts itself: dbt-run in the container exits with the alerted code (and
 * its task is skipped) whenever it published its own alert, so the task failed otherwise.
 */
export const SERVERLESS_NOT_ALERTED =
  'dbt-run could not alert about this run: the task dbt_run_build failed without dbt-run publishing its own alert' +
  ' (the container did not start or never ran dbt-run, dbt-run stopped before alerting, or its alert could not be' +
  " published). See the task's log in Airflow and CloudWatch; when dbt ran, the audit log has its results.";

/**
 * The workflow's two documents. It runs `dbt-run build --target prod` (whose own alerts carry
 * the dbt side) and publishes as the prod environment; its alert is about the ECS task, sent
 * only when dbt-run could not alert (SERVERLESS_NOT_ALERTED says so).
 */
function serverlessDocuments(product: string): { runFailed: RunFailed; productCompleted: ProductCompleted } {
  const common = {
    product,
    environment: 'prod',
    producer: 'mwaa-serverless',
    target: 'prod',
    command: 'build',
  } as const;
  return {
    runFailed: {
      schema: RUN_FAILED.schemaId,
      version: RUN_FAILED.version,
      event_type: 'run.failed',
      severity: 'error',
      ...common,
      dag_id: jinja.dagId,
      selection: null,
      invocation_id: jinja.runId,
      // The task that runs dbt-run failed, and dbt-run did not alert: the task itself (no capacity,
      // bad image), dbt-run stopping before its alert, or an alert it could not publish.
      status: 'error',
      exit_code: null,
      started_at: jinja.startedAt,
      completed_at: jinja.now,
      counts: null,
      failures: [
        {
          unique_id: null,
          name: null,
          resource_type: null,
          status: 'failed',
          relation_name: null,
          message: null,
          compiled_path: null,
          failing_rows_query: null,
          skipped_count: null,
          task_id: 'dbt_run_build',
        },
      ],
      failures_not_listed: 0,
      error_message: SERVERLESS_NOT_ALERTED,
      run_url: null,
      git_sha: null,
      audit_query: null,
    },
    productCompleted: {
      schema: PRODUCT_COMPLETED.schemaId,
      version: PRODUCT_COMPLETED.version,
      event_type: 'product.completed',
      ...common,
      invocation_id: jinja.runId,
      finished_at: jinja.now,
      nodes_built: null,
      tests_passed: null,
      git_sha: null,
      run_url: null,
    },
  };
}

/** The document as JSON text, its fields in the definition's order. */
function json(schema: z.ZodObject, document: Record<string, unknown>): string {
  return JSON.stringify(Object.fromEntries(fieldNames(schema).map((name) => [name, document[name]])), null, 2);
}

export function messageTemplates(product: string): MessageTemplates {
  const serverless = serverlessDocuments(product);
  return {
    runFailed: {
      fixed: fixed(RUN_FAILED),
      fields: fieldNames(RUN_FAILED.schema),
      failureFields: fieldNames(runFailedFailure),
    },
    productCompleted: { fixed: fixed(PRODUCT_COMPLETED), fields: fieldNames(PRODUCT_COMPLETED.schema) },
    timestampFormat: PYTHON_TIMESTAMP_FORMAT,
    manifestSchema: MANIFEST_SCHEMA_PATH,
    serverless: {
      runFailed: json(RUN_FAILED.schema, serverless.runFailed),
      productCompleted: json(PRODUCT_COMPLETED.schema, serverless.productCompleted),
    },
  };
}
