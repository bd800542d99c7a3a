/**
 * A small fake of the Redshift Data API's JSON protocol (awsJson1_1 over
 * HTTP) that runs the SQL on the test PostgreSQL, for the real SDK client
 * pointed at it through `endpoint`. What it keeps of the real service:
 * asynchronous statuses (SUBMITTED → STARTED → FINISHED/FAILED/ABORTED, a SQL
 * error is a FAILED status, not an HTTP error), BatchExecuteStatement as one
 * transaction with per-sub-statement statuses, the limits (SQL text ≤ 100 KB
 * in UTF-8, 1–40 statements a batch, named parameters `:name` with non-empty
 * string values, none in batches) and AWS-shaped errors. Each session runs
 * with standard_conforming_strings off, so `'...'` literals read backslash
 * escapes the way Redshift does.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { DATA_API_LIMITS } from '../../src/redshift/data-api.js';

export interface FakeDataApiOptions {
  postgres: { host: string; port: number; user: string; password: string; database: string };
  /** Cluster ids and workgroup names that exist; anything else is "not found". */
  clusters?: string[];
  workgroups?: string[];
  /** How long a statement stays SUBMITTED before it runs (ms). */
  startDelayMs?: number;
}

type Status = 'SUBMITTED' | 'PICKED' | 'STARTED' | 'FINISHED' | 'FAILED' | 'ABORTED';

interface Statement {
  id: string;
  sqls: string[];
  parameters: { name: string; value: string }[];
  isBatch: boolean;
  status: Status;
  error?: string;
  subStatuses: { status: Status; error?: string; rows: number }[];
  result?: { fields: string[]; rows: unknown[][] };
  createdAt: Date;
  updatedAt: Date;
  cancelled: boolean;
}

/** Every request the fake served, for assertions on calls and sizes. */
export interface FakeCall {
  operation: string;
  sqlBytes: number[];
}

class AwsError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

const PAGE_ROWS = 1000;

/**
 * The little Redshift SQL the kit sends that Postgres does not know, made
 * Postgres (pure): table options (DISTSTYLE, DISTKEY, SORTKEY) after a CREATE
 * TABLE's closing parenthesis are dropped, and in a CREATE VIEW getdate()
 * (Redshift's current time on compute nodes) becomes localtimestamp (only
 * there: row values may hold the text). Everything else runs as sent.
 */
export function asPostgresSql(sql: string): string {
  const postgres = sql.replace(
    /\)\s*(?:diststyle\s+(?:auto|even|all|key)\s*)?(?:distkey\s*\([^)]*\)\s*)?(?:(?:compound\s+|interleaved\s+)?sortkey\s*\([^)]*\)\s*)?$/i,
    ')',
  );
  return /^\s*create view /i.test(postgres) ? postgres.replace(/\bgetdate\(\)/gi, 'localtimestamp') : postgres;
}

/** `:name` parameters → `$n`, outside quotes and `::` casts (pure, exported for tests). */
export function bindNamedParameters(sql: string, names: readonly string[]): { text: string; order: string[] } {
  const order: string[] = [];
  let text = '';
  for (let index = 0; index < sql.length; index++) {
    const char = sql[index] as string;
    if (char === "'" || char === '"') {
      const end = sql.indexOf(char, index + 1);
      const stop = end < 0 ? sql.length : end + 1;
      text += sql.slice(index, stop);
      index = stop - 1;
    } else if (char === ':' && sql[index + 1] === ':') {
      text += '::';
      index++;
    } else if (char === ':' && /[0-9a-zA-Z_]/.test(sql[index + 1] ?? '')) {
      const name = /^[0-9a-zA-Z_]+/.exec(sql.slice(index + 1))?.[0] as string;
      if (!names.includes(name)) throw new AwsError('ValidationException', `No value specified for parameter: ${name}`);
      if (!order.includes(name)) order.push(name);
      text += `$${order.indexOf(name) + 1}`;
      index += name.length;
    } else text += char;
  }
  return { text, order };
}

export class FakeDataApi {
  readonly calls: FakeCall[] = [];
  private readonly statements = new Map<string, Statement>();
  private server: Server | undefined;
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly options: FakeDataApiOptions) {}

  async start(): Promise<string> {
    this.server = createServer((request, response) => void this.handle(request, response));
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await Promise.allSettled([...this.running]);
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const operation = String(request.headers['x-amz-target'] ?? '').replace(/^RedshiftData\./, '');
    let status = 200;
    let body: unknown;
    try {
      const input = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
      body = await this.dispatch(operation, input);
    } catch (error) {
      const aws = error instanceof AwsError ? error : new AwsError('InternalServerException', String(error), 500);
      status = aws.status;
      body = { __type: aws.type, message: aws.message };
    }
    response.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': randomUUID() });
    response.end(JSON.stringify(body));
  }

  private async dispatch(operation: string, input: Record<string, unknown>): Promise<unknown> {
    switch (operation) {
      case 'ExecuteStatement':
        return this.submit(operation, [String(input.Sql ?? '')], input, false);
      case 'BatchExecuteStatement':
        return this.submit(operation, (input.Sqls as string[] | undefined) ?? [], input, true);
      case 'DescribeStatement':
        this.calls.push({ operation, sqlBytes: [] });
        return this.describe(this.find(input.Id));
      case 'GetStatementResult':
        this.calls.push({ operation, sqlBytes: [] });
        return this.result(this.find(input.Id), input.NextToken as string | undefined);
      case 'CancelStatement': {
        this.calls.push({ operation, sqlBytes: [] });
        const statement = this.find(input.Id);
        statement.cancelled = true;
        return { Status: statement.status === 'SUBMITTED' || statement.status === 'STARTED' };
      }
      default:
        throw new AwsError('UnknownOperationException', `The fake does not serve ${operation}`);
    }
  }

  private find(id: unknown): Statement {
    const statement = this.statements.get(String(id));
    if (!statement) throw new AwsError('ResourceNotFoundException', `Query does not exist: ${String(id)}`);
    return statement;
  }

  private submit(operation: string, sqls: string[], input: Record<string, unknown>, isBatch: boolean) {
    this.calls.push({ operation, sqlBytes: sqls.map((sql) => Buffer.byteLength(sql)) });
    const cluster = input.ClusterIdentifier as string | undefined;
    const workgroup = input.WorkgroupName as string | undefined;
    if (!input.Database) throw new AwsError('ValidationException', 'Database is required');
    if (Boolean(cluster) === Boolean(workgroup))
      throw new AwsError('ValidationException', 'Either ClusterIdentifier or WorkgroupName must be provided, not both');
    if (cluster && !(this.options.clusters ?? []).includes(cluster))
      throw new AwsError('ValidationException', "Redshift endpoint doesn't exist in this region.");
    if (workgroup && !(this.options.workgroups ?? []).includes(workgroup))
      throw new AwsError('ResourceNotFoundException', `Workgroup ${workgroup} not found.`);
    if (sqls.length < 1 || sqls.length > DATA_API_LIMITS.maxBatchStatements)
      throw new AwsError('ValidationException', `Sqls must hold 1 to ${DATA_API_LIMITS.maxBatchStatements} statements`);
    for (const sql of sqls) {
      if (Buffer.byteLength(sql) > DATA_API_LIMITS.maxSqlBytes)
        throw new AwsError('ValidationException', 'Cannot process query string larger than 100kB');
    }
    const parameters = (input.Parameters as { name: string; value: string }[] | undefined) ?? [];
    if (isBatch && input.Parameters) throw new AwsError('ValidationException', 'Parameters are not supported');
    // AUTO_COMMIT would commit statement by statement; the kit always asks for one transaction.
    if (isBatch && input.ExecutionMode !== undefined && input.ExecutionMode !== 'TRANSACTION')
      throw new AwsError(
        'ValidationException',
        `The fake runs batches as one transaction only, not ${input.ExecutionMode}`,
      );
    for (const parameter of parameters) {
      if (!/^[0-9a-zA-Z_]+$/.test(parameter.name ?? ''))
        throw new AwsError('ValidationException', `Invalid parameter name: ${parameter.name}`);
      if (typeof parameter.value !== 'string' || parameter.value === '')
        throw new AwsError('ValidationException', `Parameter ${parameter.name} needs a non-empty value`);
    }
    const statement: Statement = {
      id: randomUUID(),
      sqls,
      parameters,
      isBatch,
      status: 'SUBMITTED',
      subStatuses: sqls.map(() => ({ status: 'SUBMITTED', rows: 0 })),
      createdAt: new Date(),
      updatedAt: new Date(),
      cancelled: false,
    };
    this.statements.set(statement.id, statement);
    const run = this.run(statement).finally(() => this.running.delete(run));
    this.running.add(run);
    return { Id: statement.id, CreatedAt: statement.createdAt.getTime() / 1000, Database: input.Database };
  }

  private async run(statement: Statement): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, this.options.startDelayMs ?? 20));
    if (statement.cancelled) return this.finish(statement, 'ABORTED');
    statement.status = 'STARTED';
    const client = new pg.Client(this.options.postgres);
    try {
      await client.connect();
      await client.query('set standard_conforming_strings = off; set escape_string_warning = off');
      await client.query('begin');
      for (const [index, sql] of statement.sqls.entries()) {
        const sub = statement.subStatuses[index] as Statement['subStatuses'][number];
        sub.status = 'STARTED';
        try {
          const { text, order } = bindNamedParameters(
            asPostgresSql(sql),
            statement.parameters.map((parameter) => parameter.name),
          );
          const values = order.map((name) => statement.parameters.find((parameter) => parameter.name === name)?.value);
          const result = await client.query({ text, values, rowMode: 'array' });
          sub.status = 'FINISHED';
          sub.rows = result.rowCount ?? 0;
          if (result.fields?.length) statement.result = { fields: result.fields.map((f) => f.name), rows: result.rows };
        } catch (error) {
          sub.status = 'FAILED';
          sub.error = `ERROR: ${(error as Error).message}`;
          for (const later of statement.subStatuses.slice(index + 1)) later.status = 'ABORTED';
          await client.query('rollback');
          return this.finish(statement, 'FAILED', sub.error);
        }
      }
      await client.query('commit');
      this.finish(statement, 'FINISHED');
    } catch (error) {
      this.finish(statement, 'FAILED', `ERROR: ${(error as Error).message}`);
    } finally {
      await client.end().catch(() => {});
    }
  }

  private finish(statement: Statement, status: Status, error?: string): void {
    statement.status = status;
    statement.error = error;
    statement.updatedAt = new Date();
  }

  private describe(statement: Statement) {
    return {
      Id: statement.id,
      Status: statement.status,
      Error: statement.error,
      HasResultSet: statement.result !== undefined,
      QueryString: statement.isBatch ? undefined : statement.sqls[0],
      ResultRows: statement.result?.rows.length ?? -1,
      CreatedAt: statement.createdAt.getTime() / 1000,
      UpdatedAt: statement.updatedAt.getTime() / 1000,
      SubStatements: statement.isBatch
        ? statement.subStatuses.map((sub, index) => ({
            Id: `${statement.id}:${index + 1}`,
            Status: sub.status,
            Error: sub.error,
            QueryString: statement.sqls[index],
            ResultRows: sub.rows,
          }))
        : undefined,
    };
  }

  private result(statement: Statement, nextToken: string | undefined) {
    if (statement.status !== 'FINISHED' || !statement.result)
      throw new AwsError('ValidationException', `Query ${statement.id} has no result set (status ${statement.status})`);
    const start = nextToken ? Number(nextToken) : 0;
    const page = statement.result.rows.slice(start, start + PAGE_ROWS);
    const field = (value: unknown) =>
      value === null || value === undefined
        ? { isNull: true }
        : typeof value === 'number'
          ? Number.isInteger(value)
            ? { longValue: value }
            : { doubleValue: value }
          : typeof value === 'boolean'
            ? { booleanValue: value }
            : { stringValue: value instanceof Date ? value.toISOString() : String(value) };
    return {
      Records: page.map((row) => row.map(field)),
      ColumnMetadata: statement.result.fields.map((name) => ({ name, label: name, typeName: 'varchar' })),
      TotalNumRows: statement.result.rows.length,
      NextToken: start + PAGE_ROWS < statement.result.rows.length ? String(start + PAGE_ROWS) : undefined,
    };
  }
}
