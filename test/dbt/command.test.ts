/** dbtCommandLine: the one builder of dbt's argument arrays (pure). */
import { describe, expect, it } from 'vitest';
import { dbtArgs, dbtCommandLine } from '../../src/dbt/command.js';

describe('dbtCommandLine', () => {
  it('puts the command first, then the common flags, then its own', () => {
    expect(
      dbtCommandLine({
        command: 'run',
        jsonLog: true,
        projectDir: '/p',
        profilesDir: '/profiles',
        target: 'prod',
        vars: { day: '2026-01-01' },
        select: ['tag:x'],
        threads: 2,
        extra: ['--fail-fast'],
      }),
    ).toEqual([
      'run',
      '--log-format',
      'json',
      '--project-dir',
      '/p',
      '--profiles-dir',
      '/profiles',
      '--target',
      'prod',
      '--select',
      'tag:x',
      '--vars',
      '{"day":"2026-01-01"}',
      '--threads',
      '2',
      '--fail-fast',
    ]);
  });

  it('lists a selection with dbt ls: JSON keys on one argument, quiet, resource types', () => {
    expect(
      dbtCommandLine({
        command: 'ls',
        projectDir: '/p',
        target: 'dev',
        vars: { a: 1 },
        select: ['+orders'],
        exclude: ['tag:slow'],
        selector: 'product',
        resourceTypes: ['model', 'seed'],
        outputKeys: ['unique_id', 'package_name'],
        quiet: true,
      }),
    ).toEqual([
      'ls',
      '--project-dir',
      '/p',
      '--target',
      'dev',
      '--select',
      '+orders',
      '--exclude',
      'tag:slow',
      '--selector',
      'product',
      '--vars',
      '{"a":1}',
      '--resource-type',
      'model',
      '--resource-type',
      'seed',
      '--output',
      'json',
      '--output-keys',
      'unique_id package_name',
      '--quiet',
    ]);
  });

  it('gives parse, debug and deps only the common flags', () => {
    expect(dbtCommandLine({ command: 'parse', jsonLog: true, projectDir: '/p', vars: { a: 1 } })).toEqual([
      'parse',
      '--log-format',
      'json',
      '--project-dir',
      '/p',
      '--vars',
      '{"a":1}',
    ]);
    expect(dbtCommandLine({ command: 'debug', projectDir: '/p', target: 'local' })).toEqual([
      'debug',
      '--project-dir',
      '/p',
      '--target',
      'local',
    ]);
    expect(dbtCommandLine({ command: 'deps', projectDir: '/p', profilesDir: '/q', vars: {} })).toEqual([
      'deps',
      '--project-dir',
      '/p',
      '--profiles-dir',
      '/q',
    ]);
  });

  it('gives retry no selection, and the runner always JSON logs', () => {
    const retry = { command: 'retry', select: ['a'], exclude: [], projectDir: '/p', vars: {} } as const;
    expect(dbtCommandLine(retry)).toEqual(['retry', '--project-dir', '/p']);
    expect(dbtArgs({ ...retry, select: ['a'], exclude: [], fullRefresh: false, defer: false, extra: [] })).toEqual([
      'retry',
      '--log-format',
      'json',
      '--project-dir',
      '/p',
    ]);
  });
});
