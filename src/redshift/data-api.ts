/**
 * The Redshift Data API, the way the kit uses it: submit a statement (or a
 * batch, one transaction), wait for it with backoff under an overall
 * deadline, read a small result. A SQL error is not an exception of the
 * submit call: DescribeStatement later says FAILED, and that becomes a
 * DataApiError naming the failing sub-statement. Throttling and "too many
 * active statements" are retried with jitter. The client is injected.
 */
import {
  BatchExecuteStatementCommand,
  DescribeStatementCommand,
  type DescribeStatementResponse,
  ExecuteStatementCommand,
  type Field,
  GetStatementResultCommand,
  type RedshiftDataClient,
  type SqlParameter,
} from '@aws-sdk/client-redshift-data';
import { KitError } from '../errors.js';
import type { DataApiTarget } from './target.js';

/** The Data API's hard limits (AWS documents "100 KB" of SQL text; we read it as 100,000 bytes of UTF-8). */
export const DATA_API_LIMITS = { maxSqlBytes: 100_000, maxBatchStatements: 40 } as const;

export interface DataApiOptions {
  /** Give up waiting for one statement after this long (ms). */
  deadlineMs: number;
  /** First and largest pause between DescribeStatement calls (ms). */
  pollStartMs: number;
  pollMaxMs: number;
  /** Attempts for a submit refused by throttling or too many active statements. */
  submitAttempts: number;
  sleep: (ms: number) => Promise<void>;
  random: () => number;
  now: () => number;
}

export const DEFAULT_DATA_API_OPTIONS: DataApiOptions = {
  deadlineMs: 10 * 60_000,
  pollStartMs: 100,
  pollMaxMs: 5_000,
  submitAttempts: 6,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: Math.random,
  now: Date.now,
};

/** A statement that ended FAILED or ABORTED, or did not end in time: a runner error (exit 2). */
export class DataApiError extends KitError {
  readonly statementId: string | undefined;
  readonly status: string | undefined;
  /** 1-based index of the failing SQL in a batch, when the API says which. */
  readonly subStatement: number | undefined;

  constructor(
    message: string,
    options: { statementId?: string; status?: string; subStatement?: number; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause, exitCode: 2 });
    this.statementId = options.statementId;
    this.status = options.status;
    this.subStatement = options.subStatement;
  }
}

const RETRYABLE = new Set([
  'ActiveStatementsExceededException',
  'ActiveSessionsExceededException',
  'ThrottlingException',
  'TooManyRequestsException',
  'Throttling',
]);

/** Pauses between polls (pure): doubling from start to max. */
export function pollDelay(attempt: number, options: Pick<DataApiOptions, 'pollStartMs' | 'pollMaxMs'>): number {
  return Math.min(options.pollMaxMs, options.pollStartMs * 2 ** attempt);
}

/** "Full jitter" pause before retrying a refused submit (pure, given random in [0, 1)). */
export function retryDelay(attempt: number, random: number): number {
  return Math.round(random * Math.min(20_000, 200 * 2 ** attempt));
}

function where(target: DataApiTarget) {
  return {
    ClusterIdentifier: target.clusterIdentifier,
    WorkgroupName: target.workgroupName,
    Database: target.database,
    SecretArn: target.secretArn,
    DbUser: target.dbUser,
  };
}

export class DataApi {
  private readonly options: DataApiOptions;
  /** Calls made and SQL bytes sent, for benchmarks and messages. */
  readonly stats = { execute: 0, batch: 0, describe: 0, result: 0, sqlBytes: 0, retries: 0 };

  constructor(
    private readonly client: RedshiftDataClient,
    private readonly target: DataApiTarget,
    options: Partial<DataApiOptions> = {},
  ) {
    this.options = { ...DEFAULT_DATA_API_OPTIONS, ...options };
  }

  /** Runs one statement (named parameters `:name`, non-empty string values) and returns its rows. */
  async query(sql: string, parameters: Record<string, string> = {}): Promise<Field[][]> {
    const Parameters: SqlParameter[] = Object.entries(parameters).map(([name, value]) => ({ name, value }));
    this.stats.execute++;
    this.stats.sqlBytes += Buffer.byteLength(sql);
    const { Id } = await this.submit(() =>
      this.client.send(
        new ExecuteStatementCommand({
          ...where(this.target),
          Sql: sql,
          Parameters: Parameters.length ? Parameters : undefined,
        }),
      ),
    );
    const described = await this.wait(Id as string);
    if (!described.HasResultSet) return [];
    const rows: Field[][] = [];
    let NextToken: string | undefined;
    do {
      this.stats.result++;
      const page = await this.client.send(new GetStatementResultCommand({ Id, NextToken }));
      rows.push(...(page.Records ?? []));
      NextToken = page.NextToken;
    } while (NextToken);
    return rows;
  }

  /** Runs up to 40 statements serially in one transaction (any failure rolls back all). */
  async batch(sqls: readonly string[]): Promise<void> {
    if (sqls.length === 0) return;
    if (sqls.length > DATA_API_LIMITS.maxBatchStatements)
      throw new RangeError(`a batch takes at most ${DATA_API_LIMITS.maxBatchStatements} statements`);
    this.stats.batch++;
    this.stats.sqlBytes += sqls.reduce((sum, sql) => sum + Buffer.byteLength(sql), 0);
    const { Id } = await this.submit(() =>
      // TRANSACTION is the default; said explicitly because the upload's atomicity depends on it.
      this.client.send(
        new BatchExecuteStatementCommand({ ...where(this.target), Sqls: [...sqls], ExecutionMode: 'TRANSACTION' }),
      ),
    );
    await this.wait(Id as string);
  }

  private async submit<T>(send: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await send();
      } catch (error) {
        const name = (error as { name?: string }).name ?? '';
        if (!RETRYABLE.has(name) || attempt + 1 >= this.options.submitAttempts) throw error;
        this.stats.retries++;
        await this.options.sleep(retryDelay(attempt, this.options.random()));
      }
    }
  }

  /** Polls DescribeStatement until FINISHED (returned), FAILED or ABORTED (thrown), or the deadline. */
  private async wait(id: string): Promise<DescribeStatementResponse> {
    const giveUpAt = this.options.now() + this.options.deadlineMs;
    for (let attempt = 0; ; attempt++) {
      this.stats.describe++;
      const described = await this.submit(() => this.client.send(new DescribeStatementCommand({ Id: id })));
      if (described.Status === 'FINISHED') return described;
      if (described.Status === 'FAILED' || described.Status === 'ABORTED') throw failure(id, described);
      if (this.options.now() >= giveUpAt) {
        throw new DataApiError(
          `statement ${id} still ${described.Status ?? 'pending'} after ${Math.round(this.options.deadlineMs / 1000)} s`,
          { statementId: id, status: described.Status },
        );
      }
      await this.options.sleep(pollDelay(attempt, this.options));
    }
  }
}

function failure(id: string, described: DescribeStatementResponse): DataApiError {
  const failed = described.SubStatements?.findIndex((sub) => sub.Status === 'FAILED' || sub.Status === 'ABORTED');
  const subStatement = failed !== undefined && failed >= 0 ? failed + 1 : undefined;
  const error = (subStatement ? described.SubStatements?.[subStatement - 1]?.Error : undefined) ?? described.Error;
  const which = subStatement ? ` (statement ${subStatement} of ${described.SubStatements?.length} in the batch)` : '';
  const message =
    described.Status === 'ABORTED'
      ? `Redshift statement ${id} was aborted${which}`
      : `Redshift statement ${id} failed${which}: ${error ?? 'no error given'}`;
  return new DataApiError(message, { statementId: id, status: described.Status, subStatement });
}

/** The one line for a Data API or credentials error, naming what to fix (pure). */
export function dataApiErrorLine(error: unknown, target: DataApiTarget): string {
  if (error instanceof DataApiError) return error.message;
  const name = (error as { name?: string }).name ?? '';
  const message = (error as Error).message ?? String(error);
  const where = target.workgroupName ? `workgroup ${target.workgroupName}` : `cluster ${target.clusterIdentifier}`;
  if (/secret/i.test(message) && target.secretArn)
    return `cannot use secret ${target.secretArn}: ${message} (grant secretsmanager:GetSecretValue, check the ARN)`;
  // A missing cluster or workgroup: "Redshift endpoint doesn't exist in this region." (ValidationException),
  // or a ResourceNotFoundException that names the workgroup; other not-founds are statement ids.
  if (
    (name === 'ValidationException' &&
      /endpoint doesn't exist|endpoint does not exist|cluster .*not found/i.test(message)) ||
    (name === 'ResourceNotFoundException' && /workgroup|cluster/i.test(message))
  )
    return `Redshift ${where} not found in ${target.region} (${message}): check --audit-cluster/--audit-workgroup, the target host and AWS_REGION`;
  if (name === 'AccessDeniedException' || name === 'UnauthorizedException')
    return `not allowed to use the Redshift Data API on ${where}: grant redshift-data:ExecuteStatement, BatchExecuteStatement, DescribeStatement and GetStatementResult, and the sign-in: redshift:GetClusterCredentials (database user), redshift:GetClusterCredentialsWithIAM (IAM identity), redshift-serverless:GetCredentials (Serverless) or secretsmanager:GetSecretValue (secret) (${message})`;
  if (name === 'CredentialsProviderError' || /could not load credentials/i.test(message))
    return 'no AWS credentials for the Redshift Data API: use a role (OIDC in CI) or an AWS profile locally';
  if (/region is missing/i.test(message)) return 'no AWS region for the Redshift Data API: set AWS_REGION';
  return `${name ? `${name}: ` : ''}${message}`;
}
