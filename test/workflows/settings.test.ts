/**
 * The step every workflow job starts with (src/github/settings.ts): it loads
 * infra/github-<environment>.env into the job's environment, and refuses, in
 * one GitHub error line naming the file and what to do, a missing file, a
 * line that is not KEY=value, an unknown key and an empty or placeholder
 * required value, writing nothing to the job's environment then.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { githubSettings, settingsFile, settingsStep } from '../../src/github/settings.js';
import { tempDir } from '../harness/product.js';
import { runJob, type WorkflowJob } from './steps.js';

const SETTINGS = githubSettings({ iam: false, serverless: false, orchestrator: 'mwaa' });
const COMPLETE = {
  AWS_REGION: 'eu-west-1',
  DBT_ARTIFACT_BUCKET: 'acme-artifacts',
  DBT_RUN_ROLE_ARN: 'arn:aws:iam::123456789012:role/orders-prod-run',
  DBT_DEPLOY_ROLE_ARN: 'arn:aws:iam::123456789012:role/orders-prod-deploy',
  DBT_REDSHIFT_HOST: 'analytics.abc123.eu-west-1.redshift.amazonaws.com',
  DBT_REDSHIFT_PORT: '5439',
  DBT_REDSHIFT_DATABASE: 'dev',
  DBT_REDSHIFT_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:orders-AbCdEf',
};
const lines = (values: Record<string, string>) =>
  Object.entries(values)
    .map(([key, value]) => `${key}=${value}\n`)
    .join('');

let root: string;
beforeAll(async () => {
  root = await tempDir('settings-');
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Runs the prod load step in a checkout holding `content` as its settings file (or none). */
async function load(content: string | undefined) {
  const dir = path.join(root, `checkout-${Math.random().toString(36).slice(2)}`);
  await mkdir(path.join(dir, 'infra'), { recursive: true });
  if (content !== undefined) await writeFile(path.join(dir, settingsFile('prod')), content);
  const steps = parse(settingsStep('prod', SETTINGS).replace(/^ {6}/gm, '')) as WorkflowJob['steps'];
  const job: WorkflowJob = { 'runs-on': 'ubuntu-latest', steps };
  const run = await runJob(job, {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '' },
    contexts: {},
    runnerDir: path.join(dir, 'runner'),
  });
  return { step: run.steps[0], env: run.env };
}

describe('loading infra/github-prod.env', () => {
  it("puts every setting in the job's environment, comments, blank lines and CRLF aside", async () => {
    const content = `# written from the stack's GitHubSettings output\n\n${lines(COMPLETE).replaceAll('\n', '\r\n')}MWAA_REQUIREMENTS_S3_URI=s3://acme-artifacts/requirements.txt`;
    const { step, env } = await load(content);
    expect(step?.outcome, step?.output).toBe('success');
    expect(env).toEqual({ ...COMPLETE, MWAA_REQUIREMENTS_S3_URI: 's3://acme-artifacts/requirements.txt' });
  });

  it('leaves an optional setting out when the file has none', async () => {
    const { step, env } = await load(lines(COMPLETE));
    expect(step?.outcome).toBe('success');
    expect(env).toEqual(COMPLETE);
  });

  it.each([
    [undefined, '::error::infra/github-prod.env is missing: write it from the prod stack'],
    [
      `${lines(COMPLETE)}DBT_REDSHIFT_HOTS=x\n`,
      `::error file=infra/github-prod.env,line=9::unknown setting DBT_REDSHIFT_HOTS: the workflows read AWS_REGION, DBT_ARTIFACT_BUCKET,`,
    ],
    [`${lines(COMPLETE)}export X=1\n`, '::error file=infra/github-prod.env,line=9::not a KEY=value line'],
    [
      `${lines(COMPLETE)}DBT_REDSHIFT_PORT=5439 # prod\n`,
      '::error file=infra/github-prod.env,line=9::not a KEY=value line',
    ],
    [
      lines({ ...COMPLETE, DBT_REDSHIFT_HOST: '' }),
      '::error file=infra/github-prod.env::DBT_REDSHIFT_HOST is not set: write it from',
    ],
    [
      lines({ ...COMPLETE, DBT_RUN_ROLE_ARN: '<RunRoleArn>' }),
      '::error file=infra/github-prod.env::DBT_RUN_ROLE_ARN is not set',
    ],
    [lines({ AWS_REGION: 'eu-west-1' }), '::error file=infra/github-prod.env::DBT_ARTIFACT_BUCKET is not set'],
  ])('refuses %j in one error line, and loads nothing', async (content, error) => {
    const { step, env } = await load(content);
    expect(step?.outcome).toBe('failure');
    const errors = (step?.output ?? '').split('\n').filter((line) => line.startsWith('::error'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(error);
    expect(env).toEqual({});
  });
});
