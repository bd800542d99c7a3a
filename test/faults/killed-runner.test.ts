/**
 * Issue 15, item 1: kill the runner, keep the run. dbt-run killed with
 * SIGKILL while dbt runs (dbt, in its own process group, used to survive
 * and finish unwatched; nothing was recorded or spooled), whether dbt runs
 * through its Python or as it is (under the orphan guard), and dbt-run
 * killed the moment dbt exits. The run must be recorded exactly once, by
 * the next `dbt-run audit flush` or the next dbt-run, from what dbt left.
 */
import { chmod, cp, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { isProcessAlive } from '../../src/process-alive.js';
import type { PendingRun } from '../../src/run/pending.js';
import { waitForOutput } from '../harness/interrupted-run.js';
import { DBT_RUN_BIN, readRunResults, runDbtRun, scaffoldTestProduct, type TestProduct } from '../harness/product.js';
import { receive, snsEnv, topicWithQueue } from '../harness/sns-sqs.js';
import { type TestWarehouse, WAREHOUSES } from '../harness/warehouse.js';

const SLOW = fileURLToPath(new URL('../fixtures/runner-slow', import.meta.url));

/** The audit's invocations and node rows (none before the first upload made the tables). */
async function auditOf(warehouse: TestWarehouse, product: TestProduct) {
  const audit = `${product.schema}_audit`;
  const tables = await warehouse.query(
    product,
    `select table_name from information_schema.tables where table_schema = '${audit}' and table_name = 'dbt_audit_invocations'`,
  );
  if (tables.length === 0) return { invocations: [], nodes: [] };
  const invocations = await warehouse.query(
    product,
    `select invocation_id, status, error_message from ${audit}.dbt_audit_invocations order by started_at`,
  );
  const nodes = await warehouse.query(
    product,
    `select invocation_id, unique_id, status from ${audit}.dbt_audit_log order by unique_id`,
  );
  return { invocations, nodes };
}

async function pendingRecords(product: TestProduct): Promise<PendingRun[]> {
  const folder = path.join(product.dir, 'target', 'dbt-product-kit', 'pending');
  const names = (await readdir(folder).catch(() => [] as string[])).filter((name) => name.endsWith('.json'));
  return Promise.all(names.map(async (name) => JSON.parse(await readFile(path.join(folder, name), 'utf8'))));
}

async function waitUntilDead(pid: number, timeoutMs: number): Promise<number> {
  const started = Date.now();
  while (isProcessAlive(pid)) {
    if (Date.now() - started > timeoutMs) throw new Error(`pid ${pid} still alive after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return Date.now() - started;
}

/** A process's command line and parent, from /proc (Linux, as the tests run). */
async function processInfo(pid: number): Promise<{ argv: string[]; ppid: number }> {
  const argv = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0').slice(0, -1);
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  return { argv, ppid: Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) };
}

describe('dbt-run killed with SIGKILL while dbt runs (real dbt on Postgres)', () => {
  const warehouse = WAREHOUSES.find((candidate) => candidate.target === 'postgres') as TestWarehouse;
  let product: TestProduct;
  let alerts: Awaited<ReturnType<typeof topicWithQueue>>;
  let aws: Record<string, string>;
  beforeAll(async () => {
    product = await scaffoldTestProduct({ name: 'shop' });
    await cp(SLOW, product.dir, { recursive: true });
    alerts = await topicWithQueue();
    aws = { ...snsEnv(), DBT_PRODUCT_ALERT_TOPIC_ARN: alerts.topicArn };
  });
  afterAll(async () => {
    await product?.cleanup();
  });

  /** Starts a build, kills dbt-run with SIGKILL while slow_model's 60 s query runs; its pending record. */
  async function killMidBuild(env: Record<string, string> = {}, beforeKill?: (pending: PendingRun) => Promise<void>) {
    const child = execa(process.execPath, [DBT_RUN_BIN, 'build', '--target', 'postgres', '--select', '+slow_model'], {
      cwd: product.dir,
      env: { ...product.env, ...aws, DBT_PATH: inject('dbtPath'), CI: 'true', GITHUB_ACTIONS: '', ...env },
      reject: false,
      all: true,
    });
    await waitForOutput(child.all, /success model stg_orders/);
    await new Promise((resolve) => setTimeout(resolve, 1500)); // slow_model's 60 s query is running
    const pending = (await pendingRecords(product)).find((record) => record.runner.pid === child.pid) as PendingRun;
    expect(pending).toMatchObject({ command: 'build', runner: { pid: child.pid } });
    expect(pending.invocationId).toMatch(/^[0-9a-f-]{36}$/);
    await beforeKill?.(pending);
    child.kill('SIGKILL');
    await child;
    return pending as PendingRun & { dbtPid: number; invocationId: string };
  }

  it('dbt stops with it; the next flush records the run once, as dbt left it', async () => {
    const pending = await killMidBuild();
    expect(pending.topics).toMatchObject({ alerts: { arn: alerts.topicArn } });

    // dbt does not run on unwatched: it cancels (as on Ctrl-C) within seconds, not after its 60 s query.
    expect(await waitUntilDead(pending.dbtPid, 20_000)).toBeLessThan(20_000);
    expect((await auditOf(warehouse, product)).invocations).toEqual([]);
    expect(await receive(alerts.queueUrl)).toEqual([]); // nobody alerted: dbt-run died first

    const flushed = await runDbtRun(product, ['audit', 'flush'], aws);
    expect(flushed.exitCode, flushed.output).toBe(0);
    expect(flushed.stdout).toMatch(/a killed run recovered from run_results\.json/);
    const { metadata, results } = await readRunResults(product);
    expect(metadata.invocation_id).toBe(pending.invocationId);
    const audit = await auditOf(warehouse, product);
    expect(audit.invocations).toHaveLength(1);
    expect(audit.invocations[0]).toMatchObject({ invocation_id: pending.invocationId, status: 'interrupted' });
    expect(String(audit.invocations[0]?.error_message)).toMatch(
      /ended before it recorded this run; recorded by dbt-run audit flush .* from run_results\.json/,
    );
    // Every node dbt reported, exactly once, with dbt's own status.
    expect(audit.nodes.map((row) => [row.unique_id, row.status])).toEqual(
      results.map((result) => [result.unique_id, result.status]).sort(([a], [b]) => String(a).localeCompare(String(b))),
    );
    expect(results.find((result) => result.unique_id === 'model.shop.slow_model')?.status).not.toBe('success');

    // The alert nobody sent, sent once by the flush.
    const received = await receive(alerts.queueUrl);
    expect(received.map((message) => [message.document.event_type, message.document.invocation_id])).toEqual([
      ['run.failed', pending.invocationId],
    ]);
    expect(received[0]?.document.status).toBe('interrupted');

    // Nothing is recovered or sent twice.
    const again = await runDbtRun(product, ['audit', 'flush'], aws);
    expect(again.stdout).toContain('nothing spooled');
    expect(await receive(alerts.queueUrl)).toEqual([]);
    expect((await auditOf(warehouse, product)).nodes).toHaveLength(results.length);
    expect(await pendingRecords(product)).toEqual([]);
  });

  it('a dbt started as it is (DBT_PRODUCT_KIT_DIRECT_DBT=1) stops too, through the orphan guard', async () => {
    let guardPid = 0;
    const pending = await killMidBuild({ DBT_PRODUCT_KIT_DIRECT_DBT: '1' }, async (running) => {
      // The pid recorded is dbt's own (the console script's Python, not the kit's -c lines), whose
      // parent is the guard (node -e), whose parent is dbt-run: recovery waits for dbt itself.
      const dbt = await processInfo(running.dbtPid as number);
      expect(dbt.argv.slice(1, 3)).toEqual([inject('dbtPath'), 'build']);
      const guard = await processInfo(dbt.ppid);
      expect(guard.argv.slice(0, 2)).toEqual([process.execPath, '-e']);
      expect(guard.ppid).toBe(running.runner.pid);
      guardPid = dbt.ppid;
    });
    expect(await waitUntilDead(pending.dbtPid, 20_000)).toBeLessThan(20_000);
    expect(await waitUntilDead(guardPid, 2_000)).toBeLessThan(2_000);

    const flushed = await runDbtRun(product, ['audit', 'flush'], aws);
    expect(flushed.exitCode, flushed.output).toBe(0);
    expect(flushed.stdout).toMatch(/a killed run recovered from run_results\.json/);
    const { metadata, results } = await readRunResults(product);
    expect(metadata.invocation_id).toBe(pending.invocationId);
    expect(results.find((result) => result.unique_id === 'model.shop.slow_model')?.status).not.toBe('success');
    const recorded = (await auditOf(warehouse, product)).invocations.filter(
      (row) => row.invocation_id === pending.invocationId,
    );
    expect(recorded).toMatchObject([{ status: 'interrupted' }]);
    expect(await pendingRecords(product)).toEqual([]);
  });
});

describe.each(WAREHOUSES)('dbt-run killed the moment dbt exits ($label)', (warehouse) => {
  it('the next dbt-run records the lost run from run_results.json, then its own', async () => {
    const product = await scaffoldTestProduct({ name: 'shop' });
    try {
      // A dbt that, once finished, kills the dbt-run that started it (as a cancelled CI job would).
      // A wrapper script runs under the kit's orphan guard: dbt-run is its parent's parent.
      const wrapper = path.join(product.dir, 'dbt-then-kill-runner.sh');
      await writeFile(
        wrapper,
        `#!/bin/sh\n"${inject('dbtPath')}" "$@"\nstatus=$?\nkill -9 $(cut -d' ' -f4 /proc/$PPID/stat)\nexit $status\n`,
      );
      await chmod(wrapper, 0o755);
      const killed = await runDbtRun(product, ['build', '--target', warehouse.target], { DBT_PATH: wrapper });
      expect(killed.exitCode, killed.output).toBe(-1); // killed by a signal: no exit code
      const lost = await readRunResults(product);
      expect((await auditOf(warehouse, product)).invocations).toEqual([]);
      expect(await pendingRecords(product)).toMatchObject([{ invocationId: lost.metadata.invocation_id }]);

      const next = await runDbtRun(product, ['build', '--target', warehouse.target, '--select', 'stg_orders']);
      expect(next.exitCode, next.output).toBe(0);
      expect(next.output).toMatch(new RegExp(`run ${lost.metadata.invocation_id} was never recorded`));
      expect(next.output).toMatch(
        new RegExp(`earlier upload \\(${lost.metadata.invocation_id}, ${lost.results.length} rows\\) sent`),
      );
      const own = await readRunResults(product);

      const audit = await auditOf(warehouse, product);
      expect(audit.invocations.map((row) => [row.invocation_id, row.status])).toEqual([
        [lost.metadata.invocation_id, 'interrupted'],
        [own.metadata.invocation_id, 'success'],
      ]);
      const recordedLost = audit.nodes.filter((row) => row.invocation_id === lost.metadata.invocation_id);
      expect(recordedLost.map((row) => [row.unique_id, row.status])).toEqual(
        lost.results
          .map((result) => [result.unique_id, result.status])
          .sort(([a], [b]) => String(a).localeCompare(String(b))),
      );
      expect(audit.nodes.filter((row) => row.invocation_id === own.metadata.invocation_id)).toHaveLength(
        own.results.length,
      );
    } finally {
      await product.cleanup();
    }
  });
});
