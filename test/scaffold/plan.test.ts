import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { AUDIT_COLUMNS, INVOCATION_COLUMNS } from '../../src/audit/columns.js';
import { RUN_ORIGIN_ENV } from '../../src/audit/origin.js';
import { AUDIT_FAILURE_DAYS, AUDIT_VIEWS, dbtViewSources } from '../../src/audit/views.js';
import { COSMOS_VERSION, MWAA_AIRFLOW_VERSION, MWAA_PYTHON_VERSION } from '../../src/orchestration/airflow.js';
import { productManifestSchema } from '../../src/product/manifest.js';
import { planProductFiles } from '../../src/scaffold/create.js';
import { normaliseOptions } from '../../src/scaffold/options.js';

async function plan(input: { warehouse?: string; auth?: string; orchestrator?: string; execution?: string } = {}) {
  const files = await planProductFiles(normaliseOptions({ dir: '/tmp/orders', owner: 'ana@example.com', ...input }));
  return new Map(files.map((file) => [file.path, file.content]));
}

type Outputs = Record<string, Record<string, unknown>>;
function profileOutputs(files: Map<string, string>): Outputs {
  return (parse(files.get('profiles.yml') ?? '') as { orders: { outputs: Outputs } }).orders.outputs;
}

describe('planProductFiles', () => {
  it('plans a complete product', async () => {
    const files = await plan();
    expect([...files.keys()]).toEqual(
      expect.arrayContaining([
        '.gitignore',
        'README.md',
        'dbt-product.yml',
        'dbt_project.yml',
        'profiles.yml',
        'selectors.yml',
        'requirements.txt',
        'seeds/raw_customers.csv',
        'models/staging/_sources.yml',
        'models/staging/stg_orders.sql',
        'models/marts/_marts.yml',
        'models/marts/fct_orders.sql',
        'models/audit/dbt_audit_log.sql',
        'models/audit/audit_latest_status.sql',
        'models/audit/audit_recent_failures.sql',
        'models/audit/audit_model_duration_trend.sql',
        'macros/audit/audit_columns.sql',
        'macros/audit/audit_record_results.sql',
      ]),
    );
    expect([...files.keys()].some((file) => file.endsWith('.hbs') || file.endsWith('_gitignore'))).toBe(false);
  });

  it('adds the MWAA files by default, named after the product, and none with --orchestrator none', async () => {
    const files = await plan();
    expect([...files.keys()]).toEqual(
      expect.arrayContaining([
        'dags/orders_dag.py',
        'dags/orders_dag_support.py',
        'dags/orders_dag_watcher.py',
        'dags/.airflowignore',
        'airflow/requirements.txt',
        'airflow/startup.sh',
      ]),
    );
    expect(files.get('dags/orders_dag.py')).toContain('PRODUCT = "orders"');
    // The DAG imports its own helpers, by a module name no other product's DAG in the dags folder has,
    // which the DAG processor is kept off (it holds no DAG).
    expect(files.get('dags/orders_dag.py')).toContain('from orders_dag_support import (');
    expect(files.get('dags/orders_dag.py')).toContain('from orders_dag_watcher import ');
    expect(files.get('dags/.airflowignore')?.split('\n')).toEqual(
      expect.arrayContaining(['dbt/', 'orders_dag_support.py', 'orders_dag_watcher.py']),
    );
    // One dbt build per run by default; the DAG reads the audit's origin variables by their one definition.
    expect(files.get('dags/orders_dag.py')).toContain('EXECUTION = "watcher"');
    expect(files.get('dags/orders_dag.py')).toContain(`RUN_URL_ENV = "${RUN_ORIGIN_ENV.url}"`);
    expect(files.get('dags/orders_dag.py')).toContain(`RUN_SOURCE_ENV = "${RUN_ORIGIN_ENV.source}"`);
    expect(parse(files.get('dbt-product.yml') ?? '')).toMatchObject({ orchestrator: 'mwaa', execution: 'watcher' });
    const perNode = await plan({ execution: 'per-node' });
    expect(perNode.get('dags/orders_dag.py')).toContain('EXECUTION = "per-node"');
    expect(parse(perNode.get('dbt-product.yml') ?? '')).toMatchObject({ execution: 'per-node' });
    // MWAA's requirements start with the constraints line, and pin the Cosmos the tests run.
    const requirements = (files.get('airflow/requirements.txt') ?? '')
      .split('\n')
      .filter((line) => !line.startsWith('#'));
    expect(requirements[0]).toBe(
      `--constraint "https://raw.githubusercontent.com/apache/airflow/constraints-${MWAA_AIRFLOW_VERSION}/constraints-${MWAA_PYTHON_VERSION}.txt"`,
    );
    const tested = (await readFile(fileURLToPath(new URL('../requirements/airflow.txt', import.meta.url)), 'utf8'))
      .split('\n')
      .find((line) => line.startsWith('astronomer-cosmos=='));
    expect(requirements).toContain(tested);
    expect(requirements).toContain(`astronomer-cosmos==${COSMOS_VERSION}`);
    // MWAA runs startup.sh with sh: it must at least parse.
    const startup = files.get('airflow/startup.sh') ?? '';
    expect(startup).toContain('DBT_VENV_PATH=');
    expect((await execa('sh', ['-n'], { input: startup, reject: false })).exitCode).toBe(0);

    const serverless = await plan({ orchestrator: 'mwaa-serverless' });
    const iam = [...serverless.keys()].filter((file) => file.startsWith('iam/'));
    expect(iam.sort()).toEqual([
      'iam/ecs-task-role.json',
      'iam/ecs-task-trust.json',
      'iam/mwaa-serverless-execution-role.json',
      'iam/mwaa-serverless-trust.json',
    ]);
    for (const file of iam) expect(() => JSON.parse(serverless.get(file) ?? ''), file).not.toThrow();
    expect([...serverless.keys()]).toEqual(
      expect.arrayContaining(['Dockerfile', '.dockerignore', 'mwaa-serverless/orders.yaml']),
    );
    expect(serverless.get('Dockerfile')).toContain('ENTRYPOINT ["dbt-run"]');
    expect([...serverless.keys()].some((file) => file.startsWith('dags/'))).toBe(false);

    const none = await plan({ orchestrator: 'none' });
    expect([...none.keys()].filter((file) => file.startsWith('dags/') || file.startsWith('airflow/'))).toEqual([]);
    expect(parse(none.get('dbt-product.yml') ?? '')).not.toHaveProperty('execution');
  });

  it('renders every YAML file as valid YAML', async () => {
    for (const warehouse of ['redshift', 'redshift-serverless']) {
      for (const auth of ['password', 'iam']) {
        const files = await plan({ warehouse, auth });
        for (const [file, content] of files) {
          if (file.endsWith('.yml')) expect(() => parse(content), file).not.toThrow();
        }
      }
    }
  });

  it('writes a dbt-product.yml that its schema accepts', async () => {
    const manifest = productManifestSchema.parse(parse((await plan()).get('dbt-product.yml') ?? ''));
    expect(manifest).toMatchObject({ name: 'orders', owner: 'ana@example.com', upstream: [] });
    expect(Object.keys(manifest.environments)).toEqual(['local', 'dev', 'prod']);
  });

  it("writes the orchestrator's retries into dbt-product.yml and the MWAA Serverless workflow", async () => {
    const read = (files: Map<string, string>) => parse(files.get('dbt-product.yml') ?? '') as Record<string, unknown>;
    // The DAG reads them at parse time; its defaults are the kit's, for a document without them.
    const mwaa = await plan();
    expect(read(mwaa).retries).toEqual({ count: 2, delay_seconds: 300 });
    expect(mwaa.get('dags/orders_dag_support.py')).toContain(
      'DEFAULT_RETRY_COUNT = 2\nDEFAULT_RETRY_DELAY_SECONDS = 300\n',
    );
    const serverless = await plan({ orchestrator: 'mwaa-serverless' });
    expect(read(serverless).retries).toEqual({ count: 2, delay_seconds: 300 });
    const workflow = parse(serverless.get('mwaa-serverless/orders.yaml') ?? '') as {
      orders: { default_args: Record<string, unknown> };
    };
    expect(workflow.orders.default_args).toMatchObject({ retries: 2, retry_delay: 300 });
    const chosen = await planProductFiles(
      normaliseOptions({
        dir: '/tmp/orders',
        orchestrator: 'mwaa-serverless',
        retries: { count: 1, delay_seconds: 30 },
      }),
    );
    const chosenFiles = new Map(chosen.map((file) => [file.path, file.content]));
    expect(read(chosenFiles).retries).toEqual({ count: 1, delay_seconds: 30 });
    expect(
      (parse(chosenFiles.get('mwaa-serverless/orders.yaml') ?? '') as typeof workflow).orders.default_args,
    ).toMatchObject({ retries: 1, retry_delay: 30 });
    // Nothing retries without an orchestrator.
    expect(read(await plan({ orchestrator: 'none' }))).not.toHaveProperty('retries');
  });

  it('renders the audit column list from the one schema, in order', async () => {
    const macro = (await plan()).get('macros/audit/audit_columns.sql') ?? '';
    const [logMacro, invocationMacro] = macro.split('{% macro audit_invocation_columns() %}');
    const names = (text = '') => [...text.matchAll(/"name": "([a-z_]+)"/g)].map((match) => match[1]);
    expect(names(logMacro)).toEqual(AUDIT_COLUMNS.map((column) => column.name));
    expect(names(invocationMacro)).toEqual(INVOCATION_COLUMNS.map((column) => column.name));
    const docs = parse((await plan()).get('models/audit/_audit.yml') ?? '') as {
      models: { name: string; columns?: { name: string; description: string }[] }[];
    };
    const log = docs.models.find((model) => model.name === 'dbt_audit_log');
    expect(log?.columns?.map((column) => column.description)).toEqual(AUDIT_COLUMNS.map((c) => c.description));
  });

  it('writes the analyst view models from the views the sinks create', async () => {
    const files = await plan();
    const docs = parse(files.get('models/audit/_audit.yml') ?? '') as {
      models: { name: string; description: string }[];
    };
    for (const view of AUDIT_VIEWS) {
      const model = files.get(`models/audit/${view.name}.sql`) ?? '';
      expect(model).toContain("{{ config(materialized='view') }}");
      expect(model.trimEnd().endsWith(view.sql(dbtViewSources('orders')))).toBe(true);
      expect(docs.models.find((entry) => entry.name === view.name)?.description).toBe(view.description);
    }
    const vars = (parse(files.get('dbt_project.yml') ?? '') as { vars: Record<string, unknown> }).vars;
    expect(vars.audit_failure_days).toBe(AUDIT_FAILURE_DAYS);
  });

  it('puts no secret in profiles.yml: passwords come from DBT_ENV_SECRET_ variables', async () => {
    for (const auth of ['password', 'iam']) {
      const outputs = profileOutputs(await plan({ auth }));
      for (const [target, output] of Object.entries(outputs)) {
        if ('password' in output) expect(String(output.password), target).toMatch(/^\{\{ env_var\('DBT_ENV_SECRET_/);
      }
    }
  });

  it('defaults to the local DuckDB target and offers postgres, dev and prod', async () => {
    const files = await plan();
    const profile = parse(files.get('profiles.yml') ?? '') as { orders: { target: string } };
    expect(profile.orders.target).toBe("{{ env_var('DBT_TARGET', 'local') }}");
    const outputs = profileOutputs(files);
    expect(Object.keys(outputs)).toEqual(['local', 'postgres', 'dev', 'prod']);
    expect(outputs.local).toMatchObject({ type: 'duckdb' });
    expect(outputs.postgres).toMatchObject({ type: 'postgres' });
  });

  it.each([
    ['redshift', 'password', { method: 'database' }, 'redshift.amazonaws.com'],
    [
      'redshift',
      'iam',
      { method: 'iam', cluster_id: "{{ env_var('DBT_REDSHIFT_CLUSTER_ID') }}" },
      'redshift.amazonaws.com',
    ],
    ['redshift-serverless', 'password', { method: 'database' }, 'redshift-serverless.amazonaws.com'],
    ['redshift-serverless', 'iam', { method: 'iam_role' }, 'redshift-serverless.amazonaws.com'],
  ])('renders %s with %s auth', async (warehouse, auth, expected, hostForm) => {
    const files = await plan({ warehouse, auth });
    const outputs = profileOutputs(files);
    for (const target of ['dev', 'prod']) {
      expect(outputs[target]).toMatchObject({ type: 'redshift', ...expected });
      if (auth === 'iam') expect(outputs[target]).not.toHaveProperty('password');
    }
    expect(files.get('profiles.yml')).toContain(hostForm);
  });
});
