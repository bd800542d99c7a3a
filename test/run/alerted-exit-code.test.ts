/**
 * --alerted-exit-code: the pure rule (which runs exit with the code, which keep
 * theirs), the flag's validation, the alert's delivery as notifyRun reports it,
 * and a real dbt-run build on the test Postgres with a failing model whose alert
 * goes through moto's SNS to SQS: published, the run exits with the code and
 * one alert arrives; not published (a topic that does not exist), it exits 1.
 */
import { cp, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { notifyRun, type Topics } from '../../src/alerts/notify.js';
import { PublishError, type Publisher } from '../../src/alerts/publish.js';
import type { AuditRow, InvocationRow } from '../../src/audit/columns.js';
import { RUN_FAILED } from '../../src/messages/index.js';
import { exitCodeAfterLateSignal } from '../../src/run/execute.js';
import { normaliseRunOptions, parseAlertedExitCode } from '../../src/run/options.js';
import { finalExitCode } from '../../src/run/report.js';
import { messageErrors } from '../harness/message-schema.js';
import { runDbtRun, scaffoldTestProduct, type TestProduct } from '../harness/product.js';
import { receive, sendPostgresTopics, snsEnv, topicWithQueue } from '../harness/sns-sqs.js';

describe('--alerted-exit-code: the value', () => {
  it('takes a whole number from 3 to 125', () => {
    expect(parseAlertedExitCode(undefined)).toBeUndefined();
    expect(parseAlertedExitCode('3')).toBe(3);
    expect(parseAlertedExitCode('99')).toBe(99);
    expect(parseAlertedExitCode('125')).toBe(125);
  });

  it("refuses dbt-run's own codes, a shell's or a signal's, and what is not a whole number, in one line", () => {
    for (const bad of ['0', '1', '2', '126', '130', '143', '-5', '9.5', '1e2', 'abc', '', ' ']) {
      expect(() => parseAlertedExitCode(bad), bad).toThrow(
        `--alerted-exit-code must be a whole number from 3 to 125 (none of dbt-run's own codes), not "${bad}"`,
      );
    }
    expect(() => normaliseRunOptions('build', { audit: true, alertedExitCode: '1' }, [], '/tmp')).toThrow(
      /^--alerted-exit-code must be/,
    );
    expect(normaliseRunOptions('test', { audit: true, alertedExitCode: '42' }, [], '/tmp').alertedExitCode).toBe(42);
  });
});

describe('--alerted-exit-code: the exit code (pure)', () => {
  const run = (
    exitCode: number,
    alert: 'none' | 'sent' | 'failed',
    more: { productError?: string; auditError?: string; alertedExitCode?: number | undefined } = {},
  ) =>
    finalExitCode({
      execution: { exitCode } as never,
      productError: more.productError ?? null,
      strictAudit: true,
      recorded: { rows: 0, location: null, error: more.auditError ?? null },
      notifications: { alert },
      alertedExitCode: 'alertedExitCode' in more ? more.alertedExitCode : 99,
    });

  it('a failure whose alert was published exits with the code, whatever the failure', () => {
    for (const code of [1, 2, 129, 130, 143]) expect(run(code, 'sent'), String(code)).toBe(99);
  });

  it('keeps the code when nothing was alerted, the alert failed, or the flag is not given', () => {
    expect(run(0, 'none')).toBe(0);
    expect(run(1, 'none')).toBe(1);
    expect(run(1, 'failed')).toBe(1);
    expect(run(143, 'failed')).toBe(143);
    expect(run(1, 'sent', { alertedExitCode: undefined })).toBe(1);
  });

  it('a green run stays 0 even with a published (warnings) alert', () => {
    expect(run(0, 'sent')).toBe(0);
  });

  it('a signal after dbt exited gives its code, unless the failure was alerted', () => {
    expect(exitCodeAfterLateSignal(1, 'SIGTERM', 99)).toBe(143);
    expect(exitCodeAfterLateSignal(0, 'SIGINT', 99)).toBe(130);
    expect(exitCodeAfterLateSignal(99, 'SIGTERM', 99)).toBe(99);
    expect(exitCodeAfterLateSignal(99, 'SIGTERM', undefined)).toBe(143);
    expect(exitCodeAfterLateSignal(1, undefined, 99)).toBe(1);
  });

  it("keeps the code of a failure the alert does not tell: dbt-run's own checks", () => {
    expect(run(1, 'sent', { productError: 'dbt-product.yml: bad' })).toBe(2);
    expect(run(0, 'sent', { productError: 'dbt-product.yml: bad' })).toBe(2);
    expect(run(1, 'sent', { auditError: 'audit write failed' })).toBe(2);
  });
});

describe("notifyRun: the alert's delivery", () => {
  const failed = {
    invocationId: 'inv-9',
    invocation: { invocation_id: 'inv-9', status: 'error', command: 'build' } as unknown as InvocationRow,
    nodes: [] as AuditRow[],
  };
  const green = { ...failed, invocation: { ...failed.invocation, status: 'success' } as InvocationRow };
  const arn = 'arn:aws:sns:eu-west-1:123456789012:alerts';
  const topics: Topics = {
    environment: 'prod',
    alerts: { arn, includeWarnings: false },
    events: { arn: 'arn:aws:sns:eu-west-1:123456789012:events' },
    skipped: [],
  };
  const context = { product: 'orders', topics, auditTable: { schema: 'a', table: 'b' } };
  const publisher = (refuse: string | null): Publisher => ({
    publish: async (topicArn) => {
      if (topicArn === refuse) throw new PublishError(`${topicArn} does not exist`);
      return 'id-1';
    },
  });

  it('sent when the alert topic took it, failed when not, none when there was nothing to alert', async () => {
    expect((await notifyRun(failed, context, publisher(null))).alert).toBe('sent');
    expect((await notifyRun(failed, context, publisher(arn))).alert).toBe('failed');
    expect((await notifyRun(green, context, publisher(null))).alert).toBe('none');
    // The completion event's fate is not the alert's.
    expect((await notifyRun(green, context, publisher(topics.events?.arn ?? ''))).alert).toBe('none');
  });
});

const FAILURES = fileURLToPath(new URL('../fixtures/runner-failures', import.meta.url));
let product: TestProduct;

beforeAll(async () => {
  product = await scaffoldTestProduct({ name: 'orders' });
  await cp(FAILURES, product.dir, { recursive: true });
});

afterAll(async () => {
  await product?.cleanup();
});

describe('--alerted-exit-code with dbt on Postgres and SNS on moto', () => {
  it('a failing model whose alert is published exits with the code, one alert; an unpublished alert keeps 1', {
    timeout: 120_000,
  }, async () => {
    const alerts = await topicWithQueue();
    await sendPostgresTopics(product.dir, { alerts: alerts.topicArn });
    const args = ['build', '--target', 'postgres', '--alerted-exit-code', '99'];
    const alerted = await runDbtRun(product, args, snsEnv());
    expect(alerted.exitCode, alerted.output).toBe(99);
    expect(alerted.stdout).toContain(`run.failed sent to ${alerts.topicArn}`);
    expect(alerted.stdout).toContain(
      'exit 99 (--alerted-exit-code): the run failed and its failure alert was published',
    );
    const [alert, ...more] = await receive(alerts.queueUrl);
    expect(more).toEqual([]);
    expect(messageErrors(RUN_FAILED, alert?.document)).toEqual([]);
    // The document tells dbt's exit code; the process exits with the one the orchestrator asked for.
    expect(alert?.document).toMatchObject({ producer: 'dbt-run', status: 'failed', exit_code: 1 });

    const missing = 'arn:aws:sns:eu-west-1:123456789012:no-such-topic';
    const notAlerted = await runDbtRun(product, [...args, '--alert-topic-arn', missing], snsEnv());
    expect(notAlerted.exitCode, notAlerted.output).toBe(1);
    expect(notAlerted.stderr).toContain(`failure alert topic ${missing} does not exist`);
  });

  it('a bad value is one line naming the flag, exit 2, before dbt runs', async () => {
    const targetDir = path.join(product.dir, 'target');
    const before = await stat(path.join(targetDir, 'run_results.json')).catch(() => undefined);
    const run = await runDbtRun(product, ['build', '--target', 'postgres', '--alerted-exit-code', '1'], snsEnv());
    expect(run.exitCode).toBe(2);
    expect(run.stderr.trim()).toBe(
      `error: --alerted-exit-code must be a whole number from 3 to 125 (none of dbt-run's own codes), not "1"`,
    );
    const after = await stat(path.join(targetDir, 'run_results.json')).catch(() => undefined);
    expect(after?.mtimeMs).toBe(before?.mtimeMs);
  });
});
