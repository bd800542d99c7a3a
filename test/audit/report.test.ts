/**
 * The audit report's pure parts: escaping (HTML and the embedded JSON), the
 * charts' data (buckets, stacking, series order), and the page (its CSP
 * naming exactly the scripts it holds, tables without JavaScript, the empty
 * page). The page in a real browser: test/run/audit-report.test.ts.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { FailuresRow, RunsRow } from '../../src/audit/queries/questions.js';
import { auditWindow } from '../../src/audit/queries/window.js';
import { loadReportAssets } from '../../src/audit/report/assets.js';
import { FAILURE_LINES, failuresChart, timelineChart, trendChart } from '../../src/audit/report/charts.js';
import type { ReportData } from '../../src/audit/report/gather.js';
import { escapeHtml, jsonScriptText, safeUrl } from '../../src/audit/report/html.js';
import { renderReport } from '../../src/audit/report/render.js';

const now = new Date('2026-12-02T12:00:00.000Z');
const hostile = '</script><script>alert(1)</script><!-- &amp; \u2028';

function run(overrides: Partial<RunsRow>): RunsRow {
  return {
    started_at: '2026-12-02T10:00:00Z',
    invocation_id: 'inv-1',
    product_name: 'shop',
    target_name: 'prod',
    command: 'build',
    status: 'success',
    exit_code: 0,
    elapsed_seconds: 10,
    nodes_total: 3,
    nodes_failed: 0,
    nodes_skipped: 0,
    run_url: 'https://github.com/acme/shop/actions/runs/1',
    ...overrides,
  };
}

function failure(unique_id: string, started_at: string): FailuresRow {
  return {
    started_at,
    invocation_id: 'inv',
    product_name: 'shop',
    target_name: 'prod',
    unique_id,
    resource_type: 'model',
    status: 'error',
    failures: null,
    message: 'boom',
    compiled_path: null,
    run_url: null,
  };
}

function data(overrides: Partial<ReportData> = {}): ReportData {
  return {
    generatedAt: now.toISOString(),
    window: auditWindow('24h', now),
    source: { kind: 'duckdb', log: 'a_audit.dbt_audit_log', invocations: 'a_audit.dbt_audit_invocations' },
    filters: {},
    nothing: 'no runs recorded in "a_audit"."dbt_audit_invocations" since 2026-12-01 12:00 UTC',
    runs: [],
    failures: [],
    slowest: [],
    trend: [],
    flaky: [],
    freshness: [],
    rowsAffected: [],
    ...overrides,
  };
}

describe('escaping', () => {
  it('HTML: the five characters that matter', () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe(
      '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;',
    );
    expect(escapeHtml(null)).toBe('');
  });

  it('JSON in a script element: nothing can close it, and it parses back the same', () => {
    const value = { label: hostile, nested: [hostile] };
    const text = jsonScriptText(value);
    expect(text).not.toMatch(/[<>&\u2028]/);
    expect(JSON.parse(text)).toEqual(value);
  });

  it('only http(s) run links become links', () => {
    expect(safeUrl('https://github.com/acme/shop/actions/runs/1')).toBe('https://github.com/acme/shop/actions/runs/1');
    for (const bad of ['javascript:alert(1)', 'data:text/html,x', '/relative', 'not a url', null])
      expect(safeUrl(bad), String(bad)).toBeUndefined();
  });
});

describe('charts', () => {
  it('the timeline: one series per status, in a fixed order, each run in its own', () => {
    const chart = timelineChart([
      run({ started_at: '2026-12-02T11:00:00Z', status: 'failed', elapsed_seconds: 3 }),
      run({ started_at: '2026-12-02T09:00:00Z', elapsed_seconds: 4 }),
      run({ started_at: '2026-12-02T10:00:00Z', status: 'odd', elapsed_seconds: 5 }),
    ]);
    expect(chart.x).toEqual(
      [9, 10, 11].map((hour) => Date.parse(`2026-12-02T${String(hour).padStart(2, '0')}:00:00Z`) / 1000),
    );
    expect(chart.series.map((series) => [series.label, series.values])).toEqual([
      ['success', [4, null, null]],
      ['failed', [null, null, 3]],
      ['odd', [null, 5, null]],
    ]);
  });

  it('failures: hourly buckets over a day, stacked with the most failing node on top, the rest as other', () => {
    const window = auditWindow('24h', now);
    const nodes = Array.from({ length: FAILURE_LINES + 3 }, (_, index) => `model.shop.m${index}`);
    const rows = [
      failure('model.shop.m0', '2026-12-02T11:30:00Z'),
      failure('model.shop.m0', '2026-12-02T11:10:00Z'),
      failure('model.shop.m0', '2026-12-01T12:00:00Z'),
      ...nodes.slice(1).map((node) => failure(node, '2026-12-02T11:45:00Z')),
    ];
    const chart = failuresChart(rows, window);
    expect(chart.style).toBe('stacked');
    expect(chart.x).toHaveLength(24);
    expect(chart.x[0]).toBe(Date.parse('2026-12-01T12:00:00Z') / 1000);
    expect(chart.series.map((series) => series.label)).toEqual([...nodes.slice(0, FAILURE_LINES), 'other nodes (3)']);
    const top = chart.series[0];
    expect(top?.own?.[23]).toBe(2);
    expect(top?.own?.[0]).toBe(1);
    // Each bar reaches the sum of its series and those below: the first is the total.
    expect(top?.values[23]).toBe(2 + (FAILURE_LINES - 1) + 3);
    expect(chart.series.at(-1)?.values[23]).toBe(3);
    // 30 days from noon: the partial first day is a bucket too.
    expect(failuresChart(rows, auditWindow('30d', now)).x).toHaveLength(31);
  });

  it('the trend: one line per model in the slowest order, gaps where a model did not run', () => {
    const chart = trendChart(
      [
        { started_at: '2026-12-02T09:00:00Z', product_name: 'shop', unique_id: 'model.shop.a', execution_seconds: 1 },
        { started_at: '2026-12-02T10:00:00Z', product_name: 'shop', unique_id: 'model.shop.b', execution_seconds: 5 },
        { started_at: '2026-12-02T10:00:00Z', product_name: 'shop', unique_id: 'model.shop.a', execution_seconds: 2 },
      ],
      ['model.shop.b', 'model.shop.a'],
    );
    expect(chart.series.map((series) => [series.label, series.values])).toEqual([
      ['model.shop.b', [null, 5]],
      ['model.shop.a', [1, 2]],
    ]);
  });
});

describe('the page', () => {
  it('escapes every user value, embeds the chart data inertly, and allows exactly its own scripts', async () => {
    const assets = await loadReportAssets();
    const html = renderReport(
      data({
        runs: [run({ invocation_id: hostile, product_name: hostile, run_url: 'javascript:alert(1)' })],
        failures: [failure(hostile, '2026-12-02T11:00:00Z')],
      }),
      assets,
    );
    expect(html.split('<script>alert(1)').length).toBe(1);
    expect(html).toContain('&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toContain('href="javascript:');
    const inline = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((match) => match[1] as string);
    expect(inline).toHaveLength(2);
    expect(inline[0]).toBe(assets.chartScript);
    const policy = /http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(html)?.[1] ?? '';
    expect(policy).toContain("default-src 'none'");
    for (const script of inline)
      expect(policy).toContain(`'sha256-${createHash('sha256').update(script).digest('base64')}'`);
    const json = /<script type="application\/json" id="report-data">([\s\S]*?)<\/script>/.exec(html)?.[1] ?? '';
    expect(JSON.parse(json).charts.map((chart: { id: string }) => chart.id)).toEqual([
      'chart-timeline',
      'chart-failures',
    ]);
    // Without a script the tables are there: the run as a row.
    expect(html).toMatch(/<table id="invocations" class="data">[\s\S]*<td data-sort="build">build<\/td>/);
  });

  it('nothing in the window: a page that says so, with no script at all', async () => {
    const html = renderReport(data(), await loadReportAssets());
    expect(html).toContain('Nothing recorded yet');
    expect(html).toContain('no runs recorded in &quot;a_audit&quot;.&quot;dbt_audit_invocations&quot; since');
    expect(html).not.toContain('<script');
    expect(html).toContain("script-src 'none'");
  });
});
