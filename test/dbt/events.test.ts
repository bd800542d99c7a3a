import { describe, expect, it } from 'vitest';
import { dbtArgs } from '../../src/dbt/command.js';
import { nodeResultStatus, parseEventLine, reportedVersion } from '../../src/dbt/events.js';
import { applyEvent, emptyProgress, progressLine } from '../../src/run/progress.js';

const nodeInfo = (status: string, extra: object = {}) => ({
  unique_id: 'model.shop.stg_orders',
  node_name: 'stg_orders',
  resource_type: 'model',
  node_status: status,
  node_path: 'staging/stg_orders.sql',
  node_started_at: '2026-11-21T00:19:35.133327',
  node_finished_at: status === 'started' ? '' : '2026-11-21T00:19:35.233327',
  ...extra,
});
function event(text: string) {
  const parsed = parseEventLine(text);
  if (!parsed) throw new Error(`not an event: ${text}`);
  return parsed;
}
const line = (name: string, data: object, level = 'info') =>
  JSON.stringify({
    info: { name, code: 'X', level, msg: 'for people', ts: 't', invocation_id: 'inv-1', thread: 'Thread-2 (worker)' },
    data,
  });

describe('dbt JSON log events', () => {
  it('parses events and ignores other lines', () => {
    expect(parseEventLine('Traceback (most recent call last):')).toBeUndefined();
    expect(parseEventLine('{not json')).toBeUndefined();
    const event = parseEventLine(line('MainReportVersion', { version: '=1.11.16' }));
    expect(event && reportedVersion(event)).toBe('1.11.16');
  });

  it('takes a model result from node_status, not the adapter message', () => {
    const event = parseEventLine(
      line('LogModelResult', { status: 'CREATE VIEW', node_info: nodeInfo('success'), execution_time: 0.1 }),
    );
    expect(event && nodeResultStatus(event)).toBe('success');
  });

  it('folds start and result events into progress', () => {
    const progress = emptyProgress();
    applyEvent(progress, event(line('LogStartLine', { total: 3, node_info: nodeInfo('started') })));
    expect(progressLine(progress, 'build')).toBe('dbt build: 0 of 3 nodes finished; running stg_orders');
    const finished = applyEvent(
      progress,
      event(line('LogModelResult', { status: 'ERROR', node_info: nodeInfo('error'), execution_time: 0.5 })),
    );
    // The thread that ran it, as run_results.json's thread_id names it.
    expect(finished).toMatchObject({
      uniqueId: 'model.shop.stg_orders',
      status: 'error',
      seconds: 0.5,
      thread: 'Thread-2 (worker)',
    });
    expect(progress.invocationId).toBe('inv-1');
    expect(progressLine(progress, 'build')).toBe('dbt build: 1 of 3 nodes finished (1 failed)');
  });

  it('says how the finished nodes ended: a skipped node is not a done one', () => {
    const progress = emptyProgress();
    progress.total = 25;
    const statuses = [...Array(10).fill('success'), 'pass', 'error', ...Array(13).fill('skipped')];
    statuses.forEach((status, index) => {
      applyEvent(
        progress,
        event(
          line(status === 'skipped' ? 'SkippingDetails' : 'LogModelResult', {
            node_info: nodeInfo(status, { unique_id: `model.shop.m_${index}`, node_name: `m_${index}` }),
          }),
        ),
      );
    });
    expect(progressLine(progress, 'build')).toBe('dbt build: 25 of 25 nodes finished (11 ok, 1 failed, 13 skipped)');
  });
});

describe('dbtArgs', () => {
  it('builds an argument array with JSON logs, selection and vars', () => {
    expect(
      dbtArgs({
        command: 'build',
        select: ['a+', 'tag:x'],
        exclude: ['b'],
        selector: undefined,
        target: 'dev',
        projectDir: '/p',
        profilesDir: undefined,
        vars: { audit_hook_enabled: false, "it's": 'a "value"' },
        fullRefresh: true,
        threads: 4,
        state: '/state',
        defer: true,
        extra: ['--fail-fast'],
      }),
    ).toEqual([
      'build',
      '--log-format',
      'json',
      '--project-dir',
      '/p',
      '--target',
      'dev',
      '--select',
      'a+',
      'tag:x',
      '--exclude',
      'b',
      '--vars',
      '{"audit_hook_enabled":false,"it\'s":"a \\"value\\""}',
      '--full-refresh',
      '--threads',
      '4',
      '--state',
      '/state',
      '--defer',
      '--fail-fast',
    ]);
  });

  it('gives retry no selection flags', () => {
    const args = dbtArgs({
      command: 'retry',
      select: ['a'],
      exclude: [],
      projectDir: '/p',
      vars: {},
      fullRefresh: false,
      defer: false,
      extra: [],
    });
    expect(args).toEqual(['retry', '--log-format', 'json', '--project-dir', '/p']);
  });
});
