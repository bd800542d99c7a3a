/**
 * The run: steps of a product's workflows, run in order on this machine as a
 * runner would (test/workflows/steps.ts): run.yml builds prod, deploy.yml
 * publishes, ci.yml builds a pull request, pr-cleanup.yml drops its schemas.
 * The real AWS CLI (PyPI, test/requirements/lint.txt) talks to moto's
 * S3 and Secrets Manager; dbt-run (this checkout's bin) and the kit's dbt
 * build on the test Postgres. The `uses:` steps are not run; the test gives
 * their effect: each job starts in a fresh clone (checkout), dbt-run on PATH
 * and an npm that only records what it was asked (setup-node and the
 * install), AWS credentials in the environment (configure-aws-credentials).
 * One variable is replaced, and only that: DBT_TARGET is `postgres`, the
 * test's stand-in for Redshift's dev and prod targets.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { settingsFile } from '../../src/github/settings.js';
import { s3Prefixes } from '../../src/infra/facts.js';
import { ensureVenv } from '../../src/toolchain/venv.js';
import { kitVersion } from '../../src/version.js';
import { DBT_RUN_BIN, queryPostgres, scaffoldTestProduct, type TestProduct } from '../harness/product.js';
import { MOTO_REGION } from '../harness/sns-sqs.js';
import { type Contexts, type JobRun, onlyJob, parseWorkflow, runJob, stepNamed, type WorkflowJob } from './steps.js';

const REQUIREMENTS = new URL('../requirements/lint.txt', import.meta.url).pathname;
const PASSWORD = `p@ss ${randomBytes(6).toString('hex')}`;

let product: TestProduct;
let root: string;
let aws: (args: string[], input?: string) => Promise<string>;
let bucket: string;
let secretArn: string;
let env: Record<string, string>;
let contexts: Contexts;
const npmLog = () => path.join(root, 'npm.log');

/** What a workflow's only job is, read from the product's file. */
async function job(name: string): Promise<WorkflowJob> {
  return onlyJob(parseWorkflow(await readFile(path.join(product.dir, '.github', 'workflows', name), 'utf8')));
}

/** A fresh clone of the product's origin at `branch`: the checkout step's effect. */
async function checkout(branch: string, folder: string): Promise<string> {
  const dir = path.join(root, folder);
  await execa('git', ['clone', '--quiet', '--branch', branch, path.join(root, 'origin.git'), dir]);
  return dir;
}

function run(job: WorkflowJob, cwd: string, github: Record<string, unknown> = {}): Promise<JobRun> {
  return runJob(job, {
    cwd,
    env: { ...env, GITHUB_WORKSPACE: cwd, ...(github.base_ref ? { GITHUB_BASE_REF: String(github.base_ref) } : {}) },
    contexts: { ...contexts, github: { ...(contexts.github as object), ...github } },
    overrides: { DBT_TARGET: 'postgres' },
    runnerDir: path.join(root, 'runner'),
  });
}

/** The job's step that loads its environment's settings file (every later step reads them). */
function loadSettings(job: WorkflowJob): WorkflowJob['steps'][number] {
  const found = job.steps.find((step) => step.name?.startsWith('Load the ') && step.name.endsWith(' settings'));
  if (!found) throw new Error('the job loads no settings');
  return found;
}

function expectAllRan(result: JobRun) {
  for (const step of result.steps) {
    expect(step.outcome, `${step.step.name ?? step.step.uses}\n${step.output}`).not.toBe('failure');
  }
}

/** Every key and its text under a prefix of the bucket. */
async function objects(prefix = ''): Promise<Record<string, string>> {
  const listed = JSON.parse(
    (await aws(['s3api', 'list-objects-v2', '--bucket', bucket, '--prefix', prefix, '--output', 'json'])).trim() ||
      '{}',
  ) as { Contents?: { Key: string }[] };
  const found: Record<string, string> = {};
  for (const { Key } of listed.Contents ?? []) found[Key] = await aws(['s3', 'cp', `s3://${bucket}/${Key}`, '-']);
  return found;
}

const schemasNamed = async (pattern: string) =>
  (
    await queryPostgres<{ name: string }>(
      'select schema_name as name from information_schema.schemata where schema_name like $1 order by 1',
      [pattern],
    )
  ).map((row) => row.name);

beforeAll(async () => {
  const venv = await ensureVenv({ requirementsFile: REQUIREMENTS, name: 'lint' });
  product = await scaffoldTestProduct({ name: `wf${randomBytes(3).toString('hex')}`, orchestrator: 'mwaa' });
  root = path.dirname(product.dir);
  const moto = inject('motoEndpoint');
  const awsEnv = {
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_REGION: MOTO_REGION,
    AWS_DEFAULT_REGION: MOTO_REGION,
    AWS_ENDPOINT_URL: moto,
  };
  aws = async (args, input) =>
    (
      await execa(venv.bin('aws'), args, {
        env: { ...awsEnv, PATH: process.env.PATH ?? '' },
        extendEnv: false,
        input,
        stripFinalNewline: false,
      })
    ).stdout;

  // PATH as setup-node, setup-python and the install step leave it: dbt-run, npm (recording only), aws.
  const bin = path.join(root, 'bin');
  await mkdir(bin);
  await writeFile(path.join(bin, 'dbt-run'), `#!/bin/sh\nexec "${process.execPath}" "${DBT_RUN_BIN}" "$@"\n`);
  await writeFile(path.join(bin, 'npm'), `#!/bin/sh\necho "$*" >> "${npmLog()}"\n`);
  for (const name of ['dbt-run', 'npm']) await chmod(path.join(bin, name), 0o755);
  await symlink(venv.bin('aws'), path.join(bin, 'aws'));

  bucket = `wf-${randomBytes(4).toString('hex')}`;
  await aws(['s3', 'mb', `s3://${bucket}`]);
  secretArn = JSON.parse(
    await aws([
      'secretsmanager',
      'create-secret',
      '--name',
      `${product.name}-redshift`,
      '--secret-string',
      JSON.stringify({ username: `${product.name}_dbt`, password: PASSWORD }),
      '--output',
      'json',
    ]),
  ).ARN;

  // The settings the workflows load (infra/README.md writes them from each stack's output).
  const settings = (environment: string) =>
    Object.entries({
      AWS_REGION: MOTO_REGION,
      DBT_ARTIFACT_BUCKET: bucket,
      DBT_RUN_ROLE_ARN: `arn:aws:iam::123456789012:role/${product.name}-${environment}-run`,
      DBT_DEPLOY_ROLE_ARN: `arn:aws:iam::123456789012:role/${product.name}-${environment}-deploy`,
      DBT_REDSHIFT_HOST: 'analytics.abc123.eu-west-1.redshift.amazonaws.com',
      DBT_REDSHIFT_PORT: '5439',
      DBT_REDSHIFT_DATABASE: 'dev',
      DBT_REDSHIFT_SECRET_ARN: secretArn,
      MWAA_REQUIREMENTS_S3_URI: `s3://${bucket}/requirements.txt`,
    })
      .map(([key, value]) => `${key}=${value}\n`)
      .join('');
  for (const environment of ['dev', 'prod'])
    await writeFile(path.join(product.dir, settingsFile(environment)), settings(environment));

  // The product's repository, and its origin (ci.yml compares with origin/main).
  const git = (args: string[], cwd = product.dir) => execa('git', args, { cwd });
  await git(['init', '--quiet', '--initial-branch=main']);
  await git(['-c', 'user.email=t@localhost', '-c', 'user.name=t', 'commit', '--quiet', '--allow-empty', '-m', 'x']);
  await git(['add', '.']);
  await git(['-c', 'user.email=t@localhost', '-c', 'user.name=t', 'commit', '--quiet', '-m', 'create']);
  await git(['init', '--quiet', '--bare', path.join(root, 'origin.git')]);
  await git(['push', '--quiet', path.join(root, 'origin.git'), 'main']);

  const { DBT_SCHEMA: _schema, DBT_PRODUCT_DUCKDB_PATH: _duckdb, ...postgres } = product.env;
  env = {
    ...postgres,
    PATH: `${bin}:${process.env.PATH}`,
    HOME: process.env.HOME ?? root,
    TMPDIR: process.env.TMPDIR ?? '/tmp',
    ...(process.env.DBT_PRODUCT_KIT_CACHE ? { DBT_PRODUCT_KIT_CACHE: process.env.DBT_PRODUCT_KIT_CACHE } : {}),
    ...(process.env.XDG_CACHE_HOME ? { XDG_CACHE_HOME: process.env.XDG_CACHE_HOME } : {}),
    CI: 'true',
    GITHUB_ACTIONS: 'true',
    GITHUB_REPOSITORY: `acme/${product.name}`,
    GITHUB_RUN_ID: '4242',
    GITHUB_SERVER_URL: 'https://github.com',
    RUNNER_OS: 'Linux',
    ...awsEnv,
  };
  contexts = {
    github: { event: { pull_request: { number: 7 } }, run_attempt: '1', token: 'unused' },
    runner: { os: 'Linux' },
    inputs: { select: '', full_refresh: false, retry_run_id: '' },
  };
}, 600_000);

afterAll(async () => {
  if (!product) return;
  for (const schema of await schemasNamed(`%${product.name}%`))
    await queryPostgres(`drop schema if exists "${schema}" cascade`);
  await product.cleanup();
});

describe("a product's workflows, run step by step", () => {
  it('ci.yml before the first deploy: no prod manifest, so no deferral, and it says so', async () => {
    const ci = await job('ci.yml');
    const state = ci.steps.find((step) => step.id === 'state') as WorkflowJob['steps'][number];
    const dir = await checkout('main', 'ci-first');
    const result = await run({ ...ci, steps: [loadSettings(ci), state] }, dir, { base_ref: 'main' });
    expectAllRan(result);
    expect(result.outputs.state).toEqual({ deferred: 'false' });
    expect(result.steps[1]?.output).toContain('::notice::No prod manifest at');
  });

  it('run.yml, deploy.yml, ci.yml and pr-cleanup.yml, in the order a product lives them', async () => {
    const name = product.name;
    const prefixes = s3Prefixes(name, 'prod');
    const productRequirements = await readFile(path.join(product.dir, 'airflow', 'requirements.txt'), 'utf8');
    // What other products and the MWAA environment keep in the bucket: nothing here may change.
    const shared: Record<string, string> = {
      'requirements.txt': `${productRequirements}apache-airflow-providers-slack==9.0.0\n`,
      'startup.sh': '#!/bin/sh\necho shared\n',
      'dags/other_dag.py': 'other\n',
      'dags/dbt/other/dbt_project.yml': 'name: other\n',
      [`dags/dbt/${name}_v2/models/x.sql`]: 'select 2\n',
      'state/other/prod/manifest.json': '{}\n',
    };
    for (const [key, text] of Object.entries(shared)) await aws(['s3', 'cp', '-', `s3://${bucket}/${key}`], text);
    const stale = `${prefixes.project}models/staging/stg_dropped.sql`;
    await aws(['s3', 'cp', '-', `s3://${bucket}/${stale}`], 'select 1\n');

    // run.yml (dispatched, no inputs): prod built by dbt-run, the audit recorded.
    const prod = await run(await job('run.yml'), await checkout('main', 'run'));
    expectAllRan(prod);
    expect(stepNamed(prod, "Fetch the failed run's results").outcome).toBe('skipped');
    expect(prod.outputs.run).toMatchObject({ status: 'success' });
    expect(prod.summary).toMatch(/dbt build: .* \(success\)/);
    expect(await readFile(npmLog(), 'utf8')).toContain(`install --global --no-audit --no-fund dbt-run@${kitVersion()}`);
    // The password came from Secrets Manager, masked first, and no step printed it otherwise.
    expect(prod.env.DBT_ENV_SECRET_REDSHIFT_PASSWORD).toBe(PASSWORD);
    for (const step of prod.steps) {
      expect(step.output.replace(`::add-mask::${PASSWORD}`, ''), step.step.name).not.toContain(PASSWORD);
    }
    expect(await schemasNamed(name)).toEqual([name]);

    // deploy.yml on main: the product's keys written, its stale file gone, nothing else touched.
    const deployDir = await checkout('main', 'deploy');
    const deployJob = await job('deploy.yml');
    const deploy = await run(deployJob, deployDir);
    expectAllRan(deploy);
    expect(stepNamed(deploy, "Check the MWAA environment's requirements").outcome).toBe('success');
    const after = await objects();
    for (const [key, text] of Object.entries(shared)) expect(after[key], key).toBe(text);
    expect(after[stale]).toBeUndefined();
    expect(after[prefixes.dag]).toBe(await readFile(path.join(deployDir, 'dags', `${name}_dag.py`), 'utf8'));
    expect(after[prefixes.dagSupport]).toBe(
      await readFile(path.join(deployDir, 'dags', `${name}_dag_support.py`), 'utf8'),
    );
    expect(after[prefixes.dagWatcher]).toBe(
      await readFile(path.join(deployDir, 'dags', `${name}_dag_watcher.py`), 'utf8'),
    );
    const manifest = await readFile(path.join(deployDir, 'target', 'manifest.json'), 'utf8');
    expect(after[`${prefixes.state}manifest.json`]).toBe(manifest);
    expect(after[`${prefixes.project}target/manifest.json`]).toBe(manifest);
    const deployed = Object.keys(after)
      .filter((key) => key.startsWith(prefixes.project))
      .map((key) => key.slice(prefixes.project.length));
    const expected = (await readdir(deployDir, { recursive: true }))
      .filter(
        (file) => /^(models|macros|seeds|schemas)\//.test(file) || /^[\w-]+\.ya?ml$|^requirements\.txt$/.test(file),
      )
      .filter((file) => !file.startsWith('.'));
    const files = [];
    for (const file of expected) {
      if (
        !(await readdir(path.join(deployDir, file)).then(
          () => true,
          () => false,
        ))
      )
        files.push(file);
    }
    // The manifest the DAG parses from, and dbt's own parse, which the DAG's dbt build reuses.
    expect(deployed.sort()).toEqual([...files, 'target/manifest.json', 'target/partial_parse.msgpack'].sort());
    // The only keys in the bucket are the shared ones and the product's own.
    for (const key of Object.keys(after)) {
      expect(
        key in shared ||
          key === prefixes.dag ||
          key === prefixes.dagSupport ||
          key === prefixes.dagWatcher ||
          key.startsWith(prefixes.project) ||
          key.startsWith(prefixes.state),
        key,
      ).toBe(true);
    }
    expect(deploy.summary).toContain(`s3://${bucket}/${prefixes.state}manifest.json`);

    // The requirements check fails, naming the pin, when the environment lacks it.
    const cosmos = productRequirements.split('\n').find((line) => line.startsWith('astronomer-cosmos==')) as string;
    await aws(
      ['s3', 'cp', '-', `s3://${bucket}/requirements.txt`],
      productRequirements.replace(cosmos, 'astronomer-cosmos==1.0.0'),
    );
    const check = deployJob.steps.find((step) => step.name === "Check the MWAA environment's requirements");
    const refused = await run(
      { ...deployJob, steps: [loadSettings(deployJob), check as WorkflowJob['steps'][number]] },
      deployDir,
    );
    expect(refused.steps[1]?.outcome).toBe('failure');
    expect(refused.steps[1]?.output).toContain(
      `::error file=airflow/requirements.txt::${cosmos} is astronomer-cosmos==1.0.0 there`,
    );
    await aws(['s3', 'cp', '-', `s3://${bucket}/requirements.txt`], shared['requirements.txt']);

    // A pull request changes one mart: ci.yml builds it (and what depends on it) into pr_7_<name>,
    // every other ref() deferred to prod through the manifest deploy.yml published.
    const git = (args: string[]) => execa('git', args, { cwd: product.dir });
    await git(['checkout', '--quiet', '-b', 'feature']);
    const mart = path.join(product.dir, 'models', 'marts', 'fct_orders.sql');
    await writeFile(mart, `${await readFile(mart, 'utf8')}-- one change of pull request 7\n`);
    await git(['-c', 'user.email=t@localhost', '-c', 'user.name=t', 'commit', '--quiet', '-am', 'change']);
    await git(['push', '--quiet', path.join(root, 'origin.git'), 'feature']);
    const ciDir = await checkout('feature', 'ci');
    const ci = await run(await job('ci.yml'), ciDir, { base_ref: 'main' });
    expectAllRan(ci);
    expect(ci.outputs.state).toEqual({ deferred: 'true' });
    expect(await readFile(path.join(ciDir, '.state', 'manifest.json'), 'utf8')).toBe(manifest);
    expect(ci.outputs.run).toMatchObject({ status: 'success', failed: '' });
    const built = (
      JSON.parse(await readFile(path.join(ciDir, 'target', 'run_results.json'), 'utf8')) as {
        results: { unique_id: string }[];
      }
    ).results.map((result) => result.unique_id);
    expect(built).toContain(`model.${name}.fct_orders`);
    expect(built).not.toContain(`model.${name}.stg_orders`);
    expect(built.some((id) => id.startsWith('seed.'))).toBe(false);
    const compiled = await readFile(
      path.join(ciDir, 'target', 'compiled', name, 'models', 'marts', 'fct_orders.sql'),
      'utf8',
    );
    expect(compiled).toContain(`"${name}"."stg_orders"`);
    const tables = await queryPostgres<{ name: string }>(
      'select table_name as name from information_schema.tables where table_schema = $1 order by 1',
      [`pr_7_${name}`],
    );
    expect(tables.map((row) => row.name)).toContain('fct_orders');
    expect(tables.map((row) => row.name)).not.toContain('stg_orders');
    expect(ci.summary).toMatch(new RegExp(`dbt build: ${name} on postgres \\(success\\)`));
    expect(await schemasNamed(`pr_7_${name}%`)).toContain(`pr_7_${name}`);

    // The pull request closes: its schemas go, prod's stay.
    const cleanup = await run(await job('pr-cleanup.yml'), await checkout('feature', 'cleanup'));
    expectAllRan(cleanup);
    expect(await schemasNamed(`pr\\_7\\_${name}%`)).toEqual([]);
    expect(await schemasNamed(name)).toEqual([name]);
    // Four workflows, six dbt runs and an AWS CLI call per S3 object: about 100 s on a quiet machine,
    // three times that when the machine's two cores are shared.
  }, 600_000);
});
