/**
 * Endpoints that accept the connection and never answer, for the calls the
 * kit makes and the credentials it fetches: the Redshift Data API's
 * DescribeStatement (the audit upload fails in bounded time as a reported
 * failure, its rows spooled, dbt's exit code kept) and STS, where a web
 * identity's credentials come from (GitHub OIDC): a publish or an upload
 * fails in bounded time, and dbt-run does not hang.
 */

import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { PlannedMessage } from '../../src/alerts/message.js';
import { snsPublisher } from '../../src/alerts/publish.js';
import type { ResolvedTarget } from '../../src/dbt/profiles.js';
import { type RecordPlan, recordAudit } from '../../src/run/record-audit.js';
import { finalExitCode } from '../../src/run/report.js';
import { syntheticBatch } from '../harness/audit-batch.js';
import { runDbtRun, scaffoldTestProduct } from '../harness/product.js';

/** An HTTP server that answers what `answer` returns, and never answers where it returns undefined. */
class SilentServer {
  readonly requests: string[] = [];
  private readonly held: ServerResponse[] = [];
  private server: Server | undefined;

  constructor(private readonly answer: (target: string) => object | undefined) {}

  async start(): Promise<string> {
    this.server = createServer((request: IncomingMessage, response: ServerResponse) => {
      request.resume();
      request.on('end', () => {
        const target = String(request.headers['x-amz-target'] ?? request.url);
        this.requests.push(target);
        const body = this.answer(target);
        if (!body) return void this.held.push(response);
        response.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
        response.end(JSON.stringify(body));
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
  }

  async stop(): Promise<void> {
    for (const response of this.held) response.destroy();
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }
}

/** Submits succeed; DescribeStatement never answers. */
const dataApi = new SilentServer((target) =>
  target.endsWith('.DescribeStatement') ? undefined : { Id: 'statement-1', CreatedAt: 0 },
);
/** STS never answers. */
const sts = new SilentServer(() => undefined);
let dataApiEndpoint: string;
let stsEndpoint: string;
let scratch: string;

beforeAll(async () => {
  dataApiEndpoint = await dataApi.start();
  stsEndpoint = await sts.start();
  scratch = await mkdtemp(path.join(os.tmpdir(), 'deadlines-'));
});
afterAll(async () => {
  await dataApi.stop();
  await sts.stop();
  await rm(scratch, { recursive: true, force: true });
});
afterEach(() => {
  vi.unstubAllEnvs();
});

/** Credentials from static keys (the SDK reads them from the process's environment). */
function staticKeys() {
  vi.stubEnv('AWS_ACCESS_KEY_ID', 'test');
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'test');
}

/** Credentials only from a web identity (GitHub OIDC's variables), through the silent STS. */
async function webIdentity(): Promise<Record<string, string>> {
  const tokenFile = path.join(scratch, 'oidc-token');
  await writeFile(tokenFile, 'header.payload.signature');
  const env = {
    AWS_ACCESS_KEY_ID: '',
    AWS_SECRET_ACCESS_KEY: '',
    AWS_SESSION_TOKEN: '',
    AWS_PROFILE: '',
    AWS_SHARED_CREDENTIALS_FILE: path.join(scratch, 'no-credentials'),
    AWS_CONFIG_FILE: path.join(scratch, 'no-config'),
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: '',
    AWS_CONTAINER_CREDENTIALS_FULL_URI: '',
    AWS_ROLE_ARN: 'arn:aws:iam::123456789012:role/github-deploy',
    AWS_WEB_IDENTITY_TOKEN_FILE: tokenFile,
    AWS_ENDPOINT_URL_STS: stsEndpoint,
    AWS_REGION: 'eu-west-1',
  };
  for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
  return env;
}

const redshiftTarget: ResolvedTarget = {
  profileName: 'orders',
  targetName: 'prod',
  type: 'redshift',
  fields: { host: 'analytics.c1abc2def3gh.eu-west-1.redshift.amazonaws.com', dbname: 'dev', user: 'dbt', schema: 'o' },
  profilesFile: 'profiles.yml',
};
const tables = {
  log: { schema: 'orders_audit', table: 'dbt_audit_log' },
  invocations: { schema: 'orders_audit', table: 'dbt_audit_invocations' },
};

/** A run's audit step against the Data API at `endpoint`, timed. */
async function upload(limits: Record<string, string>) {
  const projectDir = await mkdtemp(path.join(scratch, 'project-'));
  const plan: RecordPlan = {
    runnerAudit: true,
    projectDir,
    targetDir: path.join(projectDir, 'target'),
    target: redshiftTarget,
    dbtEnv: { AWS_ENDPOINT_URL_REDSHIFT_DATA: dataApiEndpoint, ...limits },
  };
  const batch = syntheticBatch(3);
  const started = Date.now();
  const recorded = await recordAudit(plan, batch, tables);
  const seconds = (Date.now() - started) / 1000;
  const spooled = await readdir(path.join(plan.targetDir, 'dbt-product-kit', 'spool'));
  return { recorded, seconds, spooled, batch };
}

describe('a Data API endpoint that never answers DescribeStatement', () => {
  it('the upload fails within the call limit as a reported failure; rows spooled; dbt exit code kept', async () => {
    staticKeys();
    const before = dataApi.requests.length;
    const { recorded, seconds, spooled, batch } = await upload({ DBT_PRODUCT_AWS_CALL_TIMEOUT: '1' });
    expect(seconds).toBeLessThan(5);
    expect(recorded.error).toBe(
      `writing the audit to redshift-data cluster analytics/dev (eu-west-1) failed: TimeoutError: no answer to DescribeStatement within 1 s, fetching credentials included (DBT_PRODUCT_AWS_CALL_TIMEOUT) (rows kept in target/dbt-product-kit/spool/${batch.invocationId}.jsonl: dbt-run audit flush sends them)`,
    );
    expect(spooled).toEqual([`${batch.invocationId}.jsonl`]);
    expect(dataApi.requests.slice(before)).toEqual([
      'RedshiftData.ExecuteStatement', // the existing columns
      'RedshiftData.DescribeStatement',
    ]);
    const report = { productError: null, strictAudit: false, recorded, notifications: { alert: 'none' as const } };
    expect(finalExitCode({ ...report, execution: { exitCode: 1 } as never })).toBe(1);
    expect(finalExitCode({ ...report, execution: { exitCode: 0 } as never })).toBe(0);
  });

  it('within the request limit, the retries included, when that comes first', async () => {
    staticKeys();
    const before = dataApi.requests.length;
    const { recorded, seconds } = await upload({ DBT_PRODUCT_AWS_REQUEST_TIMEOUT: '0.3' });
    expect(seconds).toBeLessThan(10);
    expect(recorded.error).toMatch(/failed: TimeoutError: .*\(rows kept in /);
    // The SDK retried the silent call (standard mode: 3 attempts), each within the request limit.
    expect(dataApi.requests.slice(before).filter((target) => target.endsWith('DescribeStatement'))).toHaveLength(3);
  });
});

const planned: PlannedMessage = {
  eventType: 'product.completed',
  subject: 'orders completed',
  message: JSON.stringify({ default: 'done' }),
  attributes: { product: 'orders' },
  document: {} as PlannedMessage['document'], // not read by publishing
  groupId: 'orders',
  deduplicationId: 'inv:product.completed',
};
const topic = 'arn:aws:sns:eu-west-1:123456789012:orders-events';

describe('an STS endpoint that never answers (credentials from a web identity)', () => {
  it("a publish fails within STS's request limit: the credential provider's client has the kit's timeouts", async () => {
    const env = await webIdentity();
    const before = sts.requests.length;
    const publisher = snsPublisher({
      ...env,
      AWS_ENDPOINT_URL_SNS: 'http://127.0.0.1:9', // never reached: signing waits for credentials first
      DBT_PRODUCT_AWS_REQUEST_TIMEOUT: '0.3',
      DBT_PRODUCT_AWS_CALL_TIMEOUT: '30',
    });
    const started = Date.now();
    await expect(publisher.publish(topic, planned, 'completion event topic')).rejects.toThrow(
      /^SNS did not answer publishing to completion event topic arn:aws:sns:eu-west-1:123456789012:orders-events in time/,
    );
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(sts.requests.length).toBeGreaterThan(before); // it really asked the silent STS
  });

  it('a publish, and a Data API upload, fail within the call limit, credentials included', async () => {
    const env = await webIdentity();
    const publisher = snsPublisher({
      ...env,
      AWS_ENDPOINT_URL_SNS: 'http://127.0.0.1:9',
      DBT_PRODUCT_AWS_CALL_TIMEOUT: '1',
    });
    const started = Date.now();
    await expect(publisher.publish(topic, planned, 'completion event topic')).rejects.toThrow(
      /in time \(no answer to Publish within 1 s, fetching credentials included \(DBT_PRODUCT_AWS_CALL_TIMEOUT\)\)/,
    );
    expect(Date.now() - started).toBeLessThan(5_000);

    const { recorded, seconds } = await upload({ ...env, DBT_PRODUCT_AWS_CALL_TIMEOUT: '1' });
    expect(seconds).toBeLessThan(5);
    expect(recorded.error).toContain('TimeoutError: no answer to ExecuteStatement within 1 s');
  });

  it('dbt-run does not hang: dbt exit code, the event kept for resending, the process ends with the call', async () => {
    const product = await scaffoldTestProduct({ name: 'orders' });
    try {
      const env = await webIdentity();
      const started = Date.now();
      // The default request limit (30 s, three attempts): only the call limit can end STS's requests early.
      const run = await runDbtRun(product, ['seed', '--select', 'raw_customers', '--event-topic-arn', topic], {
        ...env,
        AWS_ENDPOINT_URL_SNS: 'http://127.0.0.1:9',
        DBT_PRODUCT_AWS_CALL_TIMEOUT: '2',
      });
      const seconds = (Date.now() - started) / 1000;
      expect(run.exitCode, run.output).toBe(0);
      expect(run.stderr).toMatch(
        /SNS did not answer publishing to completion event topic .* in time \(no answer to Publish within 2 s, .*; kept for resending in target\/dbt-product-kit\/outbox\/\S+\.product\.completed\.json: dbt-run audit flush sends it/,
      );
      // Beyond dbt's own time: start-up, the 2 s publish, the rest. STS's requests left running would add 90 s.
      const dbtSeconds = Number(/^dbt-run: success \(exit 0\) in ([\d.]+)s/m.exec(run.stdout)?.[1]);
      expect(dbtSeconds).toBeGreaterThan(0);
      expect(seconds - dbtSeconds).toBeLessThan(30);
    } finally {
      await product.cleanup();
    }
  });
});
