/**
 * The shapes dbt-run's steps share: what it was asked to do, what it is given
 * to do it with, and what it answers. Types only, in a module of their own so
 * that the steps (plan, execute, collect, record, notify, report) and the CLI
 * depend on them and never on each other.
 */
import type { RedshiftDataClient } from '@aws-sdk/client-redshift-data';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { InvocationStatus } from '../audit/rows.js';
import type { DbtInvocation } from '../dbt/command.js';
import type { DataApiOptions } from '../redshift/data-api.js';
import type { DataApiOverrides } from '../redshift/target.js';
import type { RunReporter } from './reporters.js';

/** What dbt-run was asked to do: a dbt invocation, plus what the runner itself does around it. */
export interface RunOptions extends DbtInvocation {
  /** Select what changed since this git ref (replaces `select`). */
  changedSince?: string | undefined;
  /** Record the audit (runner sink, JSONL copy). */
  audit: boolean;
  /** A failed audit write makes the exit code 2 (by default it never changes dbt's). */
  strictAudit?: boolean | undefined;
  /** --audit-cluster, --audit-workgroup... (over dbt-product.yml's audit.redshift). */
  auditRedshift?: DataApiOverrides | undefined;
  /** --alert-topic-arn, --event-topic-arn (over the environment and dbt-product.yml). */
  alertTopicArn?: string | undefined;
  eventTopicArn?: string | undefined;
  dbtPath?: string | undefined;
  /** Let a selection build nodes of parent products installed as packages. */
  allowUpstream?: boolean | undefined;
  /** A selection that matches no node succeeds (by default it is an error: a typo must not look green). */
  allowEmpty?: boolean | undefined;
  /** Leave out what an earlier try of the same run (DBT_PRODUCT_RUN_ID) built or passed (see resume.ts). */
  resume?: boolean | undefined;
  /**
   * The exit code of a failed run whose failure alert was published (--alerted-exit-code), so an
   * orchestrator can tell a failure dbt-run told people about from one it could not.
   */
  alertedExitCode?: number | undefined;
}

export interface RunDependencies {
  env: NodeJS.ProcessEnv;
  reporter: RunReporter;
  /** Lines for stdout as they are (GitHub workflow commands). */
  stdout: (text: string) => void;
  onInterrupt?: ((handler: (signal: NodeJS.Signals) => void) => () => void) | undefined;
  now?: () => Date;
  /** AWS clients to use instead of ones made from the environment (tests). */
  aws?: AwsClients | undefined;
}

export interface AwsClients {
  sns?: SNSClient;
  redshiftData?: RedshiftDataClient;
  dataApi?: Partial<DataApiOptions>;
}

export interface RunOutcome {
  exitCode: number;
  status: InvocationStatus | 'nothing-to-run';
  invocationId: string | null;
  auditRows: number;
  auditError: string | null;
}
