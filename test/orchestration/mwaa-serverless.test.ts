/**
 * The generated MWAA Serverless workflow, loaded by dag-factory in the real
 * Airflow 3 of the orchestration venv: no import errors, only Amazon-provider
 * operators, dbt-run in the product's container between the upstream sensors
 * and the completion event.
 */
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normaliseOptions } from '../../src/scaffold/options.js';
import { renderTemplate, templateContext } from '../../src/scaffold/plan.js';
import { type AirflowHome, airflowHome, type DagReport } from '../harness/airflow.js';
import { scaffoldTestProduct, type TestProduct } from '../harness/product.js';

const WORKFLOW_TEMPLATE = fileURLToPath(
  new URL('../../templates/mwaa-serverless/mwaa-serverless/__name__.yaml.hbs', import.meta.url),
);
const LOADER = fileURLToPath(new URL('../harness/airflow/load_workflows.py', import.meta.url));

let product: TestProduct;
let dags: string;
let home: AirflowHome;

beforeAll(async () => {
  product = await scaffoldTestProduct({ name: 'orders', orchestrator: 'mwaa-serverless' });
  dags = path.join(path.dirname(product.dir), 'serverless-dags');
  await mkdir(dags, { recursive: true });
  await copyFile(LOADER, path.join(dags, 'load_workflows.py'));
  home = await airflowHome(dags);
});

afterAll(async () => {
  await home?.cleanup();
  await product?.cleanup();
});

async function load(yaml: string) {
  await rm(path.join(dags, 'orders.yaml'), { force: true });
  await writeFile(path.join(dags, 'orders.yaml'), yaml);
  return home.helper<DagReport>('dagbag_report', [dags]);
}

describe('the generated MWAA Serverless workflow (dag-factory, Airflow 3)', () => {
  it('loads with no import errors and uses Amazon-provider operators only', async () => {
    const report = await load(await readFile(path.join(product.dir, 'mwaa-serverless', 'orders.yaml'), 'utf8'));
    expect(report.import_errors).toEqual({});
    const tasks = report.dags.orders?.tasks ?? {};
    expect(Object.keys(tasks).sort()).toEqual(['alert', 'dbt_run_build', 'publish_completed']);
    for (const [id, task] of Object.entries(tasks)) expect(task.operator, id).toMatch(/^airflow\.providers\.amazon\./);
    expect(tasks.dbt_run_build?.operator).toBe('airflow.providers.amazon.aws.operators.ecs.EcsRunTaskOperator');
    expect(tasks.publish_completed).toMatchObject({ upstream: ['dbt_run_build'], trigger_rule: 'all_success' });
    expect(tasks.alert).toMatchObject({ upstream: ['dbt_run_build'], trigger_rule: 'one_failed' });
  });

  it('waits for each upstream product with an SqsSensor before dbt-run', async () => {
    const options = normaliseOptions({ dir: '/tmp/orders', name: 'orders', orchestrator: 'mwaa-serverless' });
    const context = {
      ...templateContext(options, { version: '0.1.0', dbtRequirements: '' }),
      upstreams: ['customers', 'payments'],
    };
    const rendered = renderTemplate(
      { path: 'mwaa-serverless/__name__.yaml.hbs', content: await readFile(WORKFLOW_TEMPLATE, 'utf8') },
      context,
    );
    expect(rendered.path).toBe('mwaa-serverless/orders.yaml');
    const report = await load(rendered.content);
    expect(report.import_errors).toEqual({});
    const tasks = report.dags.orders?.tasks ?? {};
    for (const upstream of ['customers', 'payments']) {
      expect(tasks[`wait_for_${upstream}`]?.operator).toBe('airflow.providers.amazon.aws.sensors.sqs.SqsSensor');
    }
    expect(tasks.dbt_run_build?.upstream).toEqual(['wait_for_customers', 'wait_for_payments']);
  });
});
