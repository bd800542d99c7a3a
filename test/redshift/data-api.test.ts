/**
 * Fault sequences the Data API fake does not produce, with aws-sdk-client-mock:
 * throttling bursts and too many active statements (retried with jitter),
 * FAILED in the middle of a batch, ABORTED, and a statement that never ends.
 */
import {
  ActiveStatementsExceededException,
  BatchExecuteStatementCommand,
  DescribeStatementCommand,
  ExecuteStatementCommand,
  GetStatementResultCommand,
  RedshiftDataClient,
  ValidationException,
} from '@aws-sdk/client-redshift-data';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { DataApi, DataApiError, dataApiErrorLine, pollDelay, retryDelay } from '../../src/redshift/data-api.js';

const redshift = mockClient(RedshiftDataClient);
const target = { clusterIdentifier: 'analytics', database: 'dev', region: 'eu-west-1', dbUser: 'orders' };

/** Instant sleeps, a clock that advances by each sleep, fixed jitter. */
function clock() {
  let now = 0;
  const pauses: number[] = [];
  return {
    pauses,
    options: {
      sleep: async (ms: number) => {
        pauses.push(ms);
        now += ms;
      },
      now: () => now,
      random: () => 0.5,
      deadlineMs: 60_000,
    },
  };
}

const throttled = () => Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: {} });

beforeEach(() => redshift.reset());

describe('DataApi', () => {
  it('retries throttling and too many active statements with jitter, then waits for FINISHED', async () => {
    redshift
      .on(BatchExecuteStatementCommand)
      .rejectsOnce(throttled())
      .rejectsOnce(new ActiveStatementsExceededException({ message: 'Active statements exceeded', $metadata: {} }))
      .rejectsOnce(throttled())
      .resolves({ Id: 'b-1' });
    redshift
      .on(DescribeStatementCommand)
      .resolvesOnce({ Id: 'b-1', Status: 'SUBMITTED' })
      .resolvesOnce({ Id: 'b-1', Status: 'STARTED' })
      .resolves({ Id: 'b-1', Status: 'FINISHED' });
    const time = clock();
    const api = new DataApi(new RedshiftDataClient({ region: 'eu-west-1' }), target, time.options);
    await api.batch(['delete from t', 'insert into t values (1)']);
    expect(api.stats).toMatchObject({ batch: 1, retries: 3, describe: 3 });
    // Three jittered retry pauses (0.5 × 200·2^n), then the polling backoff.
    expect(time.pauses).toEqual([100, 200, 400, 100, 200]);
    const sent = redshift.commandCalls(BatchExecuteStatementCommand)[0]?.args[0].input;
    expect(sent).toMatchObject({ ClusterIdentifier: 'analytics', Database: 'dev', DbUser: 'orders' });
  });

  it('gives up after its attempts and rethrows what AWS said', async () => {
    redshift.on(ExecuteStatementCommand).rejects(throttled());
    const api = new DataApi(new RedshiftDataClient({ region: 'eu-west-1' }), target, {
      ...clock().options,
      submitAttempts: 3,
    });
    await expect(api.query('select 1')).rejects.toThrow('Rate exceeded');
    expect(redshift.commandCalls(ExecuteStatementCommand)).toHaveLength(3);
  });

  it('FAILED in the middle of a batch names the failing statement and its error', async () => {
    redshift.on(BatchExecuteStatementCommand).resolves({ Id: 'b-2' });
    redshift.on(DescribeStatementCommand).resolves({
      Id: 'b-2',
      Status: 'FAILED',
      Error: 'ERROR: batch failed',
      SubStatements: [
        { Id: 'b-2:1', Status: 'FINISHED' },
        { Id: 'b-2:2', Status: 'FAILED', Error: 'ERROR: value too long for type character varying(1024)' },
        { Id: 'b-2:3', Status: 'ABORTED' },
      ],
    });
    const api = new DataApi(new RedshiftDataClient({ region: 'eu-west-1' }), target, clock().options);
    const error = await api.batch(['a', 'b', 'c']).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DataApiError);
    expect((error as DataApiError).message).toBe(
      'Redshift statement b-2 failed (statement 2 of 3 in the batch): ERROR: value too long for type character varying(1024)',
    );
    expect((error as DataApiError).subStatement).toBe(2);
  });

  it('ABORTED and a statement past the deadline end the wait', async () => {
    redshift.on(ExecuteStatementCommand).resolves({ Id: 's-1' });
    redshift.on(DescribeStatementCommand).resolves({ Id: 's-1', Status: 'ABORTED' });
    const api = new DataApi(new RedshiftDataClient({ region: 'eu-west-1' }), target, clock().options);
    await expect(api.query('select 1')).rejects.toThrow('Redshift statement s-1 was aborted');

    redshift.reset();
    redshift.on(ExecuteStatementCommand).resolves({ Id: 's-2' });
    redshift.on(DescribeStatementCommand).resolves({ Id: 's-2', Status: 'STARTED' });
    const slow = new DataApi(new RedshiftDataClient({ region: 'eu-west-1' }), target, {
      ...clock().options,
      deadlineMs: 30_000,
    });
    await expect(slow.query('select pg_sleep(1000)')).rejects.toThrow('statement s-2 still STARTED after 30 s');
  });

  it('reads every page of a result', async () => {
    redshift.on(ExecuteStatementCommand).resolves({ Id: 's-3' });
    redshift.on(DescribeStatementCommand).resolves({ Id: 's-3', Status: 'FINISHED', HasResultSet: true });
    redshift
      .on(GetStatementResultCommand)
      .resolvesOnce({ Records: [[{ stringValue: 'a' }]], NextToken: 'next' })
      .resolves({ Records: [[{ stringValue: 'b' }]] });
    const api = new DataApi(new RedshiftDataClient({ region: 'eu-west-1' }), target, clock().options);
    expect(await api.query('select x from t where y = :y', { y: '1' })).toEqual([
      [{ stringValue: 'a' }],
      [{ stringValue: 'b' }],
    ]);
    expect(redshift.commandCalls(ExecuteStatementCommand)[0]?.args[0].input.Parameters).toEqual([
      { name: 'y', value: '1' },
    ]);
  });

  it('pauses grow and stay bounded', () => {
    expect([0, 1, 2, 3, 10].map((attempt) => pollDelay(attempt, { pollStartMs: 100, pollMaxMs: 5000 }))).toEqual([
      100, 200, 400, 800, 5000,
    ]);
    expect(retryDelay(20, 0.999)).toBeLessThanOrEqual(20_000);
    expect(retryDelay(0, 0)).toBe(0);
  });

  it('errors a user will hit read as one line naming the fix', () => {
    const validation = new ValidationException({
      message: "Redshift endpoint doesn't exist in this region.",
      $metadata: {},
    });
    expect(dataApiErrorLine(validation, { ...target, clusterIdentifier: 'nope' })).toMatch(
      /^Redshift cluster nope not found in eu-west-1 .*check --audit-cluster/,
    );
    const denied = Object.assign(new Error('User is not authorized'), { name: 'AccessDeniedException' });
    expect(dataApiErrorLine(denied, target)).toMatch(
      /^not allowed to use the Redshift Data API on cluster analytics: grant redshift-data:ExecuteStatement/,
    );
    // A statement id nobody knows is not a missing cluster.
    const noStatement = Object.assign(new Error('Query does not exist: s-9'), { name: 'ResourceNotFoundException' });
    expect(dataApiErrorLine(noStatement, target)).toBe('ResourceNotFoundException: Query does not exist: s-9');
    const noCredentials = Object.assign(new Error('Could not load credentials from any providers'), {
      name: 'CredentialsProviderError',
    });
    expect(dataApiErrorLine(noCredentials, target)).toBe(
      'no AWS credentials for the Redshift Data API: use a role (OIDC in CI) or an AWS profile locally',
    );
    const secretArn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:audit-AbCdEf';
    const secret = new ValidationException({ message: 'Secrets Manager secret not accessible', $metadata: {} });
    expect(dataApiErrorLine(secret, { ...target, secretArn })).toMatch(
      new RegExp(`^cannot use secret ${secretArn}: .*grant secretsmanager:GetSecretValue`),
    );
  });
});
