/**
 * `dbt-run source freshness` with the real dbt on the test Postgres: each
 * checked source is a row of the audit log (resource_type source), the run
 * an invocation row; an error alerts through SNS (moto) like a failed node,
 * and a check publishes no completion event. `dbt-run audit freshness` then
 * answers from those rows. The pure parts (sources.json → run results, the
 * message, the command line) are tested first.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planCompletionEvent } from '../../src/alerts/message.js';
import { dbtCommandLine, FRESHNESS_COMMAND } from '../../src/dbt/command.js';
import { ageText, freshnessMessage, freshnessRunResults, type SourcesResults } from '../../src/dbt/freshness.js';
import { yamlSourceLocation, yamlTestLine } from '../../src/run/failures.js';
import { syntheticBatch } from '../harness/audit-batch.js';
import { queryPostgres, runDbtRun, scaffoldTestProduct, type TestProduct } from '../harness/product.js';
import { receive, sendPostgresTopics, snsEnv, topicWithQueue } from '../harness/sns-sqs.js';

/** Four checked sources over the product's seeds: fresh, late (warn), stale (error), and one that cannot run. */
const SOURCES_YML = `version: 2
sources:
  - name: shop_raw
    schema: "{{ target.schema }}_raw"
    loaded_at_field: "cast(ordered_on as timestamp)"
    freshness:
      warn_after: {count: 12, period: hour}
      error_after: {count: 24, period: hour}
    tables:
      - name: raw_orders
      - name: raw_customers
        loaded_at_field: "current_timestamp"
      - name: raw_late
        identifier: raw_customers
        loaded_at_field: "current_timestamp - interval '13 hours'"
      - name: raw_broken
        identifier: raw_orders
        loaded_at_field: "no_such_column"
      - name: raw_unchecked
        identifier: raw_orders
        freshness: null
`;

describe('freshness results, read as run results (pure)', () => {
  const base = {
    unique_id: 'source.shop.shop_raw.raw_orders',
    status: 'error',
    max_loaded_at: '2025-10-11T00:00:00+00:00',
    max_loaded_at_time_ago_in_s: 36_091_000,
    criteria: { warn_after: { count: 12, period: 'hour' }, error_after: { count: 1, period: 'day' } },
    timing: [],
  };

  it('says when the source was loaded, how long ago, and against which limits', () => {
    expect(freshnessMessage(base)).toBe(
      'last loaded 2025-10-11 00:00:00 UTC, 417.7 days ago (warn after 12 hours, error after 1 day)',
    );
    expect(freshnessMessage({ ...base, criteria: { warn_after: { count: null, period: null } } })).toBe(
      'last loaded 2025-10-11 00:00:00 UTC, 417.7 days ago',
    );
    expect(freshnessMessage({ ...base, max_loaded_at: null })).toBe(
      'never loaded (no rows) (warn after 12 hours, error after 1 day)',
    );
    expect(freshnessMessage({ ...base, error: 'Database Error: no such table' })).toBe('Database Error: no such table');
    expect([45, 720, 130_320, 302_400].map(ageText)).toEqual(['45 s', '12 min', '36.2 h', '3.5 days']);
  });

  it('keeps the invocation, status, timing and thread of each check', () => {
    const sources: SourcesResults = {
      metadata: { dbt_schema_version: 'https://schemas.getdbt.com/dbt/sources/v3.json', invocation_id: 'inv-1' },
      results: [{ ...base, thread_id: 'Thread-1', execution_time: 0.05 }],
    };
    const results = freshnessRunResults(sources);
    expect(results.metadata.invocation_id).toBe('inv-1');
    expect(results.results).toEqual([
      expect.objectContaining({
        unique_id: base.unique_id,
        status: 'error',
        thread_id: 'Thread-1',
        execution_time: 0.05,
        failures: null,
        message: expect.stringMatching(/^last loaded 2025-10-11/),
      }),
    ]);
  });

  it("is dbt's two-word command, with the selection and no build flags", () => {
    expect(
      dbtCommandLine({ command: FRESHNESS_COMMAND, projectDir: '/p', select: ['source:shop_raw'], threads: 2 }),
    ).toEqual(['source', 'freshness', '--project-dir', '/p', '--select', 'source:shop_raw', '--threads', '2']);
  });

  it("points at the source table's entry in its YAML file", () => {
    const location = yamlSourceLocation({
      unique_id: 'source.shop.shop_raw.raw_late',
      name: 'raw_late',
      source_name: 'shop_raw',
      resource_type: 'source',
      package_name: 'shop',
      depends_on: { nodes: [] },
      tags: [],
      meta: {},
      config: {},
    });
    expect(location && yamlTestLine(SOURCES_YML, location)).toBe(13);
  });

  it('publishes no completion event for a green check: it built nothing', () => {
    const batch = syntheticBatch(2);
    const context = { product: 'shop', environment: 'dev' };
    expect(planCompletionEvent(batch, context)).toBeDefined();
    const check = { ...batch, invocation: { ...batch.invocation, command: FRESHNESS_COMMAND } };
    expect(planCompletionEvent(check, context)).toBeUndefined();
  });
});

describe('dbt-run source freshness on the test Postgres', () => {
  let product: TestProduct;
  let alerts: Awaited<ReturnType<typeof topicWithQueue>>;
  let events: Awaited<ReturnType<typeof topicWithQueue>>;
  const awsEnv = snsEnv;

  beforeAll(async () => {
    product = await scaffoldTestProduct({ name: 'shop' });
    await writeFile(path.join(product.dir, 'models', 'staging', '_sources.yml'), SOURCES_YML);
    [alerts, events] = await Promise.all([topicWithQueue(), topicWithQueue()]);
    await sendPostgresTopics(product.dir, { alerts: alerts.topicArn, events: events.topicArn });
    const seeded = await runDbtRun(product, ['seed', '--target', 'postgres', '--no-audit']);
    expect(seeded.exitCode, seeded.output).toBe(0);
  });
  afterAll(() => product?.cleanup());

  it('records each checked source, fails on an error, says what is stale and why a check could not run', async () => {
    const run = await runDbtRun(product, ['source', 'freshness', '--target', 'postgres'], awsEnv());
    expect(run.exitCode, run.output).toBe(1);

    const stderr = run.stderr.split('\n');
    const block = (first: string) => stderr.slice(stderr.indexOf(first), stderr.indexOf(first) + 2);
    expect(block('✗ error source raw_orders (models/staging/_sources.yml:10)')).toEqual([
      '✗ error source raw_orders (models/staging/_sources.yml:10)',
      expect.stringMatching(
        /^ {4}last loaded 2025-\d\d-\d\d 00:00:00 UTC, [\d.]+ days ago \(warn after 12 hours, error after 24 hours\)$/,
      ),
    ]);
    expect(block('✗ runtime error source raw_broken (models/staging/_sources.yml:16)')).toEqual([
      '✗ runtime error source raw_broken (models/staging/_sources.yml:16)',
      // dbt's message, from its events (dbt leaves a check that could not run out of sources.json).
      '    Database Error in source raw_broken (models/staging/_sources.yml)',
    ]);
    expect(run.stderr).toContain('column "no_such_column" does not exist');
    expect(run.stdout).toMatch(
      /^dbt-run: failed \(exit 1\) in [\d.]+s; 4 nodes: 1 pass, 1 warn, 1 error, 1 runtime error; invocation \S+$/m,
    );

    // One row per checked source (the unchecked one is not a check), and the invocation row.
    const invocationId = /; invocation (\S+)$/m.exec(run.stdout)?.[1];
    const rows = await queryPostgres<{ name: string; resource_type: string; status: string; message: string }>(
      `select name, resource_type, status, message from "${product.schema}_audit".dbt_audit_log
       where invocation_id = $1 order by name`,
      [invocationId],
    );
    expect(rows.map(({ name, resource_type, status }) => [name, resource_type, status])).toEqual([
      ['raw_broken', 'source', 'runtime error'],
      ['raw_customers', 'source', 'pass'],
      ['raw_late', 'source', 'warn'],
      ['raw_orders', 'source', 'error'],
    ]);
    expect(rows.find((row) => row.name === 'raw_late')?.message).toMatch(
      /^last loaded \S+ \S+ UTC, 13\.0 h ago \(warn after 12 hours, error after 24 hours\)$/,
    );
    const [invocation] = await queryPostgres(
      `select command, status, exit_code, nodes_total, nodes_pass, nodes_warn, nodes_error
       from "${product.schema}_audit".dbt_audit_invocations where invocation_id = $1`,
      [invocationId],
    );
    expect(invocation).toEqual({
      command: 'source freshness',
      status: 'failed',
      exit_code: '1',
      nodes_total: '4',
      nodes_pass: '1',
      nodes_warn: '1',
      nodes_error: '2',
    });

    // One alert, for the two checks that errored (warnings are not alerted by default); no completion event.
    const [alert, ...more] = await receive(alerts.queueUrl);
    expect(more).toEqual([]);
    expect(alert?.document).toMatchObject({
      command: 'source freshness',
      status: 'failed',
      invocation_id: invocationId,
    });
    expect(alert?.document.failures.map((failure: { unique_id: string }) => failure.unique_id).sort()).toEqual([
      'source.shop.shop_raw.raw_broken',
      'source.shop.shop_raw.raw_orders',
    ]);
    expect(await receive(events.queueUrl)).toEqual([]);

    // dbt-run audit freshness answers from these rows: the failed checks first, then the warning.
    const answer = await runDbtRun(product, ['audit', 'freshness', '--target', 'postgres', '--format', 'json']);
    expect(answer.exitCode, answer.output).toBe(0);
    const latest = JSON.parse(answer.stdout) as { unique_id: string; status: string; target_name: string }[];
    expect(latest.map(({ unique_id, status, target_name }) => [unique_id, status, target_name])).toEqual([
      ['source.shop.shop_raw.raw_broken', 'runtime error', 'postgres'],
      ['source.shop.shop_raw.raw_orders', 'error', 'postgres'],
      ['source.shop.shop_raw.raw_late', 'warn', 'postgres'],
      ['source.shop.shop_raw.raw_customers', 'pass', 'postgres'],
    ]);
  });

  it('a green check of one source exits 0 and publishes nothing', async () => {
    const run = await runDbtRun(
      product,
      ['source', 'freshness', '--target', 'postgres', '-s', 'source:shop_raw.raw_customers'],
      awsEnv(),
    );
    expect(run.exitCode, run.output).toBe(0);
    expect(run.stdout).toMatch(/^dbt-run: success \(exit 0\) in [\d.]+s; 1 node: 1 pass; invocation \S+$/m);
    expect(await receive(alerts.queueUrl)).toEqual([]);
    expect(await receive(events.queueUrl)).toEqual([]);
  });

  it('refuses the options of a build, in one line', async () => {
    const run = await runDbtRun(product, ['source', 'freshness', '--full-refresh']);
    expect(run.exitCode).toBe(2);
    expect(run.stderr.trim().split('\n')).toEqual([expect.stringContaining("unknown option '--full-refresh'")]);
    // Its help speaks of checks, not of builds: no --allow-upstream, and what fails a check.
    const help = await runDbtRun(product, ['source', 'freshness', '--help']);
    expect(help.exitCode).toBe(0);
    expect(help.stdout).not.toContain('--allow-upstream');
    expect(help.stdout).toContain('fails the check like a failed node: exit 1');
  });
});
