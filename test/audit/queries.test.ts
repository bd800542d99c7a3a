/**
 * The audit questions' pure parts: windows, planning with bound parameters
 * (no user text in the SQL, on any dialect), decoding every driver's values
 * into the same rows, and rendering.
 */
import { describe, expect, it } from 'vitest';
import { analystQueriesMarkdown } from '../../src/audit/queries/analyst.js';
import { decodeRows } from '../../src/audit/queries/decode.js';
import { analystSql, planQuestion } from '../../src/audit/queries/plan.js';
import { FLAKY, HISTORY, QUESTIONS, RUNS, SLOWEST } from '../../src/audit/queries/questions.js';
import { renderCsv, renderJson, renderTable } from '../../src/audit/queries/render.js';
import { auditWindow, parseSince, parseTop, timestampText } from '../../src/audit/queries/window.js';

const now = new Date('2026-12-02T13:45:00.000Z');
const tables = {
  log: { schema: 'analytics_audit', table: 'dbt_audit_log' },
  invocations: { schema: 'analytics_audit', table: 'dbt_audit_invocations' },
};

describe('the window', () => {
  it('reads m, h, d and w; anything else is one line naming the forms', () => {
    expect(parseSince('30m')).toBe(30 * 60_000);
    expect(parseSince('24h')).toBe(86_400_000);
    expect(parseSince('7d')).toBe(7 * 86_400_000);
    expect(parseSince('2w')).toBe(14 * 86_400_000);
    for (const bad of ['', '7', 'd', '0d', '-1d', '1.5d', '7 days', '3651d', '1y'])
      expect(() => parseSince(bad), bad).toThrow(
        /^--since ".*" is not a duration: write a whole number and m, h, d or w/,
      );
    expect(parseTop('5')).toBe(5);
    for (const bad of ['0', '-1', '2.5', 'ten', '10001']) expect(() => parseTop(bad), bad).toThrow(/^--top/);
  });

  it('ends now and has a previous window as long', () => {
    const window = auditWindow('7d', now);
    expect(timestampText(window.since)).toBe('2026-11-25 13:45:00.000000');
    expect(timestampText(window.previousSince)).toBe('2026-11-18 13:45:00.000000');
    expect(window.until).toBe(now);
  });
});

describe('planning', () => {
  const hostile = "x'; drop table analytics_audit.dbt_audit_log; --";

  it.each(['duckdb', 'postgres', 'redshift'] as const)('%s: user values are parameters, never SQL text', (dialect) => {
    const plan = planQuestion(
      HISTORY,
      { since: '7d', now, node: hostile, product: hostile, env: 'prod' },
      { dialect, tables, latestStatusView: true },
    );
    expect(plan.sql).not.toContain('drop table');
    expect(plan.parameters).toEqual([
      { name: 'since', value: '2026-11-25 13:45:00.000000' },
      { name: 'product', value: hostile },
      { name: 'env', value: 'prod' },
      { name: 'node', value: hostile },
    ]);
    const placeholders = dialect === 'redshift' ? [':since', ':product', ':env', ':node'] : ['$1', '$2', '$3', '$4'];
    for (const placeholder of placeholders) expect(plan.sql).toContain(placeholder);
    // The node is used twice but bound once.
    expect(plan.sql.split(placeholders[3] as string)).toHaveLength(3);
  });

  it('binds only what a question uses: DuckDB refuses parameters the SQL does not name', () => {
    const plan = planQuestion(
      RUNS,
      { since: '24h', now, node: 'orders', top: 3 },
      {
        dialect: 'duckdb',
        tables,
        latestStatusView: true,
      },
    );
    expect(plan.parameters.map((parameter) => parameter.name)).toEqual(['since']);
    const slowest = planQuestion(
      SLOWEST,
      { since: '7d', now, top: 3 },
      { dialect: 'postgres', tables, latestStatusView: true },
    );
    expect(slowest.parameters.map((parameter) => parameter.name)).toEqual(['since', 'previous_since']);
    expect(slowest.sql).toMatch(/limit 3$/);
    expect(slowest.sql).toContain('"analytics_audit"."dbt_audit_log"');
  });

  it('timestamps as text the same on each warehouse; the README SQL leaves them as they are', () => {
    const sql = (dialect: 'duckdb' | 'postgres' | 'redshift') =>
      planQuestion(FLAKY, { since: '7d', now }, { dialect, tables, latestStatusView: true }).sql;
    expect(sql('duckdb')).toContain("strftime(last_run_at, '%Y-%m-%d %H:%M:%S') as last_run_at");
    expect(sql('postgres')).toContain("to_char(last_run_at, 'YYYY-MM-DD HH24:MI:SS') as last_run_at");
    // No colon in a Redshift literal: the Data API reads `:name` as a parameter.
    expect(sql('redshift')).toContain('cast(last_run_at as varchar) as last_run_at');
    expect(sql('redshift')).not.toMatch(/'[^']*:[^']*'/);
    expect(analystSql(FLAKY)).toContain('    last_run_at\nfrom per_test');
    expect(analystSql(FLAKY)).toContain("invocation_started_at >= current_timestamp - interval '7 days'");
  });

  it('the README section holds every question', () => {
    const markdown = analystQueriesMarkdown();
    for (const question of QUESTIONS) {
      expect(markdown).toContain(`#### ${question.question}`);
      expect(markdown).toContain(analystSql(question));
    }
  });
});

describe('decoding and rendering', () => {
  const columns = SLOWEST.columns;

  it("makes pg's text numbers, the Data API's typed fields and DuckDB's JSON the same row", () => {
    const pg = ['shop', 'model.shop.orders', '20', 2.5, 4.000000001, '2', '25.00000000004'];
    const dataApi = ['shop', 'model.shop.orders', 20, 2.5, 4, 2, 25];
    const duckdb = ['shop', 'model.shop.orders', '20', '2.5', 4, 2, 24.99999999];
    const expected = {
      product_name: 'shop',
      unique_id: 'model.shop.orders',
      runs: 20,
      median_seconds: 2.5,
      p95_seconds: 4,
      previous_median_seconds: 2,
      change_percent: 25,
    };
    for (const raw of [pg, dataApi, duckdb]) expect(decodeRows([raw], columns)).toEqual([expected]);
    expect(decodeRows([['2026-12-01 13:45:00']], [{ name: 't', type: 'timestamp', description: '' }])).toEqual([
      { t: '2026-12-01T13:45:00Z' },
    ]);
    expect(
      decodeRows(
        [[null, '-0.0001']],
        [
          { name: 'a', type: 'text', description: '' },
          { name: 'b', type: 'float', digits: 3, description: '' },
        ],
      ),
    ).toEqual([{ a: null, b: 0 }]);
  });

  it('CSV quotes what needs it; JSON keeps the columns order; a table pads each column', () => {
    const cols = [
      { name: 'id', type: 'text', description: '' },
      { name: 'n', type: 'integer', description: '' },
      { name: 'message', type: 'text', description: '' },
    ] as const;
    const rows = [
      { message: 'a, "quoted"\nline', n: 1, id: 'x' },
      { message: null, n: 12345, id: 'longer id' },
    ];
    expect(renderCsv(rows, cols)).toBe('id,n,message\r\nx,1,"a, ""quoted""\nline"\r\nlonger id,12345,\r\n');
    expect(renderJson(rows, cols)).toBe(
      `${JSON.stringify(
        [
          { id: 'x', n: 1, message: 'a, "quoted"\nline' },
          { id: 'longer id', n: 12345, message: null },
        ],
        null,
        2,
      )}\n`,
    );
    expect(renderTable(rows, cols)).toBe(
      [
        'id             n  message',
        '---------  -----  ----------------',
        'x              1  a, "quoted" line',
        'longer id  12345',
        '',
      ].join('\n'),
    );
  });
});
