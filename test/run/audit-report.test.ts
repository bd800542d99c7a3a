/**
 * `dbt-run audit report` in-process on the known audit history
 * (test/harness/audit-history.ts) plus one run whose node names and messages
 * are hostile HTML, seeded into DuckDB; the page opened in headless Chromium
 * (Debian's, driven by playwright-core): no console error, no request
 * beyond the file, every chart drawn in its series' colours, the search and
 * the sorting working, the tables readable with JavaScript off; a
 * screenshot in test-artifacts/. Also: an empty window gives a page saying
 * so, a missing table exits 2 naming what creates it and writes nothing,
 * and the report's own questions answer the same on Postgres and through
 * the Data API fake as on DuckDB.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { RedshiftDataClient } from '@aws-sdk/client-redshift-data';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { gatherReport } from '../../src/audit/report/gather.js';
import { DuckDbAuditSink } from '../../src/audit/sinks/duckdb.js';
import { PostgresAuditSink } from '../../src/audit/sinks/postgres.js';
import { RedshiftAuditSink } from '../../src/audit/sinks/redshift.js';
import type { AuditSink, AuditTables } from '../../src/audit/sinks/types.js';
import { main } from '../../src/run/cli.js';
import type { RunnerIo } from '../../src/run/io.js';
import { RUN_COUNT, type SeedRun, seedBatch, seedRuns } from '../harness/audit-history.js';
import { launchChromium } from '../harness/browser.js';
import { scaffoldTestProduct, type TestProduct } from '../harness/product.js';
import { FakeDataApi } from '../harness/redshift-data-fake.js';

const ARTIFACTS = path.resolve(fileURLToPath(new URL('../../test-artifacts', import.meta.url)));
const HOSTILE_NODE = 'model.shop.x</script><script>window.pwned=1</script>';
const HOSTILE_MESSAGE = '<img src=x onerror="window.pwned=2"> & <!-- broken';
const HOSTILE_URL = 'javascript:window.pwned=3';

const postgres = inject('postgres');
const fake = new FakeDataApi({ postgres, clusters: ['analytics'], startDelayMs: 5 });
let fakeEndpoint: string;
let product: TestProduct;
let browser: Browser;
const base = new Date(Math.floor(Date.now() / 1000) * 1000);

/** One failed run whose node, message and run link are hostile. */
const hostileRun: SeedRun = {
  invocationId: 'evil-01',
  product: 'shop',
  target: 'prod',
  hoursAgo: 3,
  elapsed: 5,
  runUrl: HOSTILE_URL,
  nodes: [
    {
      unique_id: HOSTILE_NODE,
      name: 'x',
      resource_type: 'model',
      status: 'error',
      execution_time: 0.5,
      message: HOSTILE_MESSAGE,
    },
  ],
};
const history = () => [...seedRuns(), hostileRun];

const tablesOf = (schema: string): AuditTables => ({
  log: { schema: `${schema}_audit`, table: 'dbt_audit_log' },
  invocations: { schema: `${schema}_audit`, table: 'dbt_audit_invocations' },
});

beforeAll(async () => {
  fakeEndpoint = await fake.start();
  product = await scaffoldTestProduct({ name: 'shop' });
  await mkdir(ARTIFACTS, { recursive: true });
  const sink = new DuckDbAuditSink(product.duckdbPath, tablesOf(product.schema));
  for (const run of history()) await sink.write(seedBatch(run, base));
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await product?.cleanup();
  await fake.stop();
});

async function dbtRun(args: string[], env: Record<string, string> = {}) {
  let stdout = '';
  let stderr = '';
  const io: RunnerIo = {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    env: { ...product.env, ...env },
    cwd: product.dir,
  };
  const exitCode = await main(['audit', 'report', '--target', 'local', ...args], io);
  return { exitCode, stdout, stderr };
}

/** Opens a report file, recording console errors, page errors and every request. */
async function open(file: string, options: { javaScriptEnabled?: boolean } = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, ...options });
  const page = await context.newPage();
  const errors: string[] = [];
  const requests: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('request', (request) => requests.push(request.url()));
  await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
  return { page, errors, requests, close: () => context.close() };
}

/**
 * In the page (as text: the tests' types have no DOM): for each chart in the
 * embedded data, which of its series' colours its canvas holds.
 */
const CHART_PIXELS = `(() => {
  const data = JSON.parse(document.getElementById('report-data').textContent);
  return data.charts.map((chart) => {
    const canvas = document.querySelector('#' + chart.id + ' canvas');
    const pixels = canvas ? canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data : [];
    const near = (color) => {
      const [r, g, b] = [1, 3, 5].map((at) => parseInt(color.slice(at, at + 2), 16));
      for (let index = 0; index < pixels.length; index += 4)
        if (pixels[index + 3] > 200 && Math.abs(pixels[index] - r) < 12 && Math.abs(pixels[index + 1] - g) < 12 && Math.abs(pixels[index + 2] - b) < 12)
          return true;
      return false;
    };
    return {
      id: chart.id,
      drawn: chart.series.filter((series) => near(series.color)).map((series) => series.label),
      missing: chart.series.filter((series) => !near(series.color)).map((series) => series.label),
    };
  });
})()`;

const visibleRuns = (page: Page) =>
  page.$$eval('#invocations tbody tr', (rows) =>
    rows.filter((row) => !(row as unknown as { hidden: boolean }).hidden).map((row) => row.cells[9]?.textContent ?? ''),
  );

describe('dbt-run audit report (DuckDB, headless Chromium)', () => {
  const file = () => path.join(product.dir, 'reports', 'report.html');

  it('writes one self-contained page that draws, searches and sorts without a console error or a request', async () => {
    const result = await dbtRun(['--out', 'reports/report.html']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toMatch(
      /^audit report: 26 runs since .* UTC, written to .*report\.html \(\d+ KB, [\d.]+ s\)\n$/,
    );
    const html = await readFile(file(), 'utf8');
    // Self-contained: no URL the page could load (the run links are anchors, followed only on a click).
    expect(html).not.toMatch(/<(script|link|img|iframe)[^>]+(src|href)=/i);
    expect(html).toContain('uPlot');
    expect(html).not.toContain('<img src=x');
    expect(html).not.toContain(`href="${HOSTILE_URL}`);

    const { page, errors, requests, close } = await open(file());
    try {
      expect(errors).toEqual([]);
      expect(requests).toEqual([pathToFileURL(file()).href]);
      expect(await page.evaluate('window.pwned')).toBeUndefined();

      // Every chart drawn: its canvas holds pixels of each of its series' colours.
      const charts = (await page.evaluate(CHART_PIXELS)) as { id: string; drawn: string[]; missing: string[] }[];
      expect(charts.map((chart) => chart.id)).toEqual(['chart-timeline', 'chart-failures', 'chart-duration']);
      for (const chart of charts) expect(chart.missing, chart.id).toEqual([]);
      expect(charts[0]?.drawn).toEqual(['success', 'failed']);
      // The unique test failed 5 times (3 in the week, 2 before), the others once each; the stale source is one.
      expect(charts[1]?.drawn).toEqual([
        'test.shop.unique_orders_id',
        'model.shop.payments',
        HOSTILE_NODE,
        'source.shop.raw.orders',
      ]);

      // The hostile node is shown as text.
      expect(await page.locator('#failing-nodes').textContent()).toContain(HOSTILE_NODE);
      expect(await page.locator('#failing-nodes').textContent()).toContain(HOSTILE_MESSAGE);

      // Search: every word must match; clearing shows all again.
      const all = await visibleRuns(page);
      expect(all).toHaveLength(RUN_COUNT + 1 + 4 + 1);
      await page.fill('#invocation-search', 'other');
      expect(await visibleRuns(page)).toEqual(['other-00']);
      await page.fill('#invocation-search', 'failed inv-0');
      expect(await visibleRuns(page)).toEqual(['inv-00', 'inv-02', 'inv-03', 'inv-07', 'inv-08']);
      expect(await page.locator('#invocation-count').textContent()).toBe(`5 of ${all.length} runs`);
      await page.fill('#invocation-search', '');
      expect(await visibleRuns(page)).toEqual(all);

      // Sort: by seconds, up then down.
      const seconds = () =>
        page.$$eval('#invocations tbody tr', (rows) =>
          rows.map((row) => Number(row.cells[5]?.getAttribute('data-sort'))),
        );
      await page.click('#invocations th:nth-child(6) button');
      const up = await seconds();
      expect(up).toEqual([...up].sort((a, b) => a - b));
      expect(up[0]).toBe(5);
      await page.click('#invocations th:nth-child(6) button');
      const down = await seconds();
      expect(down).toEqual([...up].sort((a, b) => b - a));
      expect(await page.getAttribute('#invocations th:nth-child(6)', 'aria-sort')).toBe('descending');

      await page.screenshot({ path: path.join(ARTIFACTS, 'audit-report.png'), fullPage: true });
      expect(errors).toEqual([]);
    } finally {
      await close();
    }
  });

  it('reads as tables with JavaScript off', async () => {
    const { page, errors, close } = await open(file(), { javaScriptEnabled: false });
    try {
      expect(errors).toEqual([]);
      expect(await page.locator('#invocations tbody tr').count()).toBe(RUN_COUNT + 1 + 4 + 1);
      expect(await page.locator('#invocation-search').isVisible()).toBe(false);
      expect(await page.locator('#flaky-tests tbody tr').first().textContent()).toContain('test.shop.unique_orders_id');
      const freshness = await page.locator('#source-freshness tbody tr').allTextContents();
      expect(freshness[0]).toContain('source.shop.raw.orders');
      expect(freshness[0]).toContain('error');
      const rows = await page.locator('#rows-affected tbody tr').first().textContent();
      expect(rows).toContain('model.shop.orders');
      // The run links are real anchors; the hostile one is plain text.
      expect(await page.locator('#invocations a[href^="https://github.com/acme/shop/actions/runs/"]').count()).toBe(
        RUN_COUNT + 4,
      );
      expect(await page.locator('a[href^="javascript:"]').count()).toBe(0);
      await page.screenshot({ path: path.join(ARTIFACTS, 'audit-report-no-javascript.png'), fullPage: true });
    } finally {
      await close();
    }
  });

  it('an empty window: a page that says so, exit 0', async () => {
    const result = await dbtRun(['--out', 'empty.html', '--since', '30m']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toMatch(
      /^no runs recorded in .*dbt_audit_invocations" since .*: wrote a report saying so to /,
    );
    const { page, errors, close } = await open(path.join(product.dir, 'empty.html'));
    try {
      expect(errors).toEqual([]);
      expect(await page.locator('#empty').textContent()).toMatch(/no runs recorded in .* since .*dbt-run build/s);
      await page.screenshot({ path: path.join(ARTIFACTS, 'audit-report-empty.png') });
    } finally {
      await close();
    }
  });

  it('a missing table: exit 2, one line saying what creates it, no file', async () => {
    const result = await dbtRun(['--out', 'missing.html'], { DBT_SCHEMA: 'never_built' });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(
      /^error: no audit table "never_built_audit"\."dbt_audit_invocations" in duckdb .*: the first run dbt-run records creates it \(dbt-run build\).*\n$/,
    );
    expect(existsSync(path.join(product.dir, 'missing.html'))).toBe(false);
    const bad = await dbtRun(['--out', 'x.html', '--since', '7 days']);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toMatch(/^error: --since "7 days" is not a duration/);
    expect(existsSync(path.join(product.dir, 'x.html'))).toBe(false);
  });
});

describe("the report's questions on every warehouse", () => {
  it('Postgres and the Data API fake gather what DuckDB gathers', async () => {
    const request = { since: '30d', now: new Date(base.getTime() + 1000) };
    const gather = async (sink: AuditSink, tables: AuditTables) => {
      const data = await gatherReport({ reader: sink, tables, request });
      return { ...data, source: undefined, nothing: undefined };
    };
    const duckTables = tablesOf(product.schema);
    const expected = await gather(new DuckDbAuditSink(product.duckdbPath, duckTables), duckTables);
    expect(expected.trend.length).toBeGreaterThan(0);
    expect(expected.rowsAffected[0]).toMatchObject({ unique_id: 'model.shop.orders', runs: RUN_COUNT + 4 });
    const pgTables = tablesOf(`${product.schema}_pg`);
    const pgSink = new PostgresAuditSink(postgres, pgTables);
    for (const run of history()) await pgSink.write(seedBatch(run, base));
    expect(await gather(pgSink, pgTables)).toEqual(expected);
    const rsSink = new RedshiftAuditSink(
      new RedshiftDataClient({
        region: 'eu-west-1',
        endpoint: fakeEndpoint,
        credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      }),
      { clusterIdentifier: 'analytics', database: postgres.database, region: 'eu-west-1', dbUser: 'shop' },
      pgTables,
      { pollStartMs: 5, pollMaxMs: 50 },
    );
    expect(await gather(rsSink, pgTables)).toEqual(expected);
  });
});
