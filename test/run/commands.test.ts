/**
 * dbt-run's command tree in-process (no dbt started): each command's own
 * --help and options, groups run without their command, unknown commands,
 * and `dbt-run` with options first meaning build.
 */
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main, withDefaultCommand } from '../../src/run/cli.js';
import type { RunnerIo } from '../../src/run/io.js';
import { tempDir } from '../harness/product.js';

let cwd: string;
beforeAll(async () => {
  cwd = await tempDir('dbt-run-commands-'); // no dbt_project.yml: a command that starts fails right there
});
afterAll(async () => {
  await rm(cwd, { recursive: true, force: true });
});

async function dbtRun(args: string[]): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: RunnerIo = {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    env: { CI: 'true' },
    cwd,
  };
  const exitCode = await main(args, io);
  return { exitCode, stdout, stderr };
}

/** The long flags of a help text's Options section. */
function optionsOf(help: string): string[] {
  const section = help.split(/^Options:$/m)[1]?.split(/^\S.*$/m)[0] ?? '';
  return [...section.matchAll(/^ {2}(?:-\w, )?(--[\w-]+)/gm)].map((match) => match[1] as string);
}

async function expectOneLineError(args: string[], message: string): Promise<void> {
  const result = await dbtRun(args);
  expect(result.exitCode, result.stderr).toBe(2);
  expect(result.stdout).toBe('');
  const lines = result.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toBe(`error: ${message}`);
}

describe('each command has its own --help, with only its own options', () => {
  it.each([
    ['doctor', ['doctor'], ['--target', '--project-dir', '--audit-cluster', '--dbt-path'], ['--select', '--to']],
    [
      'audit flush',
      ['audit', 'flush'],
      ['--project-dir', '--profiles-dir', '--audit-workgroup'],
      ['--target', '--select', '--dbt-path'],
    ],
    [
      'audit slowest',
      ['audit', 'slowest'],
      ['--since', '--product', '--env', '--top', '--format', '--target', '--audit-cluster'],
      ['--select', '--dbt-path'],
    ],
    ['audit history', ['audit', 'history'], ['--since', '--format', '--target'], ['--top', '--select']],
    [
      'audit report',
      ['audit', 'report'],
      ['--out', '--since', '--product', '--env', '--top', '--target', '--audit-cluster'],
      ['--format', '--select', '--dbt-path'],
    ],
    ['upstreams bump', ['upstreams', 'bump'], ['--to', '--target', '--dbt-path'], ['--select', '--audit-cluster']],
    ['test', ['test'], ['--select', '--full-refresh', '--no-audit', '--json'], ['--to']],
    ['setup', ['setup'], ['--help'], ['--project-dir', '--target']],
    ['deps', ['deps'], ['--target', '--project-dir', '--profiles-dir', '--dbt-path'], ['--select', '--no-audit']],
  ])('%s --help', async (name, words, present, absent) => {
    const result = await dbtRun([...words, '--help']);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^Usage: dbt-run ${name} `));
    const options = optionsOf(result.stdout);
    for (const flag of present) expect(options).toContain(flag);
    for (const flag of absent) expect(options).not.toContain(flag);
    expect(result.stdout).toMatch(/^Exit codes: 0 /m);
  });

  it("the root help lists every command, and the dbt commands' options", async () => {
    const result = await dbtRun(['--help']);
    expect(result.exitCode).toBe(0);
    for (const command of ['build', 'compile', 'deps', 'setup', 'doctor', 'audit', 'upstreams']) {
      expect(result.stdout).toMatch(new RegExp(`^ {2}${command}\\b`, 'm'));
    }
    expect(result.stdout).toContain('Options of build, run, test, seed, snapshot, retry, compile');
    expect(result.stdout).toContain('--changed-since <ref>');
  });

  it('refuses an option of another command in one line', async () => {
    await expectOneLineError(['doctor', '--full-refresh'], "unknown option '--full-refresh'");
    await expectOneLineError(['audit', 'flush', '--target', 'dev'], "unknown option '--target'");
    await expectOneLineError(['build', '--to', 'v2'], "unknown option '--to'");
  });
});

describe('a group without its command', () => {
  it.each([
    ['audit', 'flush'],
    ['upstreams', 'bump'],
  ])('dbt-run %s prints its help, listing %s, on stderr and exits 2', async (group, subcommand) => {
    const result = await dbtRun([group]);
    expect(result.exitCode).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(new RegExp(`^Usage: dbt-run ${group} <command>`));
    expect(result.stderr).toMatch(new RegExp(`^Commands:\\n {2}${subcommand} `, 'm'));
    // Not `unknown audit command ""`: the help names every command of the group.
    if (group === 'audit')
      for (const name of ['runs', 'failures', 'slowest', 'history', 'flaky', 'freshness'])
        expect(result.stderr).toMatch(new RegExp(`^ {2}${name} \\[options\\]`, 'm'));
  });

  it('dbt-run audit --help prints the same help on stdout, exit 0', async () => {
    const result = await dbtRun(['audit', '--help']);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/^Usage: dbt-run audit <command>/);
    expect(result.stdout).toContain('flush [options]');
    // Every question, with its one line.
    for (const line of [
      /^ {2}runs \[options\] +recent invocations/m,
      /^ {2}failures \[options\] +nodes that failed/m,
      /^ {2}slowest \[options\] +the slowest models/m,
      /^ {2}history \[options\] <node> +one node's runs/m,
      /^ {2}flaky \[options\] +tests whose status flipped/m,
      /^ {2}freshness \[options\] +each source's latest freshness/m,
      /^ {2}report \[options\] +write one self-contained HTML report/m,
    ])
      expect(result.stdout).toMatch(line);
  });
});

describe('unknown commands: one line naming the known ones, exit 2', () => {
  it('of a group', async () => {
    await expectOneLineError(
      ['audit', 'nope'],
      'unknown command "nope": use one of flush, runs, failures, slowest, history, flaky, freshness, report (see dbt-run audit --help)',
    );
    await expectOneLineError(['upstreams', 'move'], 'unknown command "move": use bump (see dbt-run upstreams --help)');
  });

  it('at the top', async () => {
    await expectOneLineError(
      ['deploy'],
      'unknown command "deploy": use one of build, run, test, seed, snapshot, retry, compile, deps, source, setup, doctor, audit, upstreams (see dbt-run --help)',
    );
  });

  it('a command written after options, and a stray word before --', async () => {
    await expectOneLineError(
      ['--target', 'dev', 'doctor'],
      'unexpected "doctor" after options: put the command first (dbt-run doctor [options])',
    );
    await expectOneLineError(
      ['run', 'fail-fast'],
      'unexpected argument "fail-fast": dbt\'s own arguments go after -- (dbt-run run [options] -- fail-fast)',
    );
    await expectOneLineError(['setup', 'now'], "too many arguments for 'setup'. Expected 0 arguments but got 1.");
  });
});

describe('dbt-run with no command builds', () => {
  it('adds build before options, and leaves commands and root flags alone', () => {
    expect(withDefaultCommand([])).toEqual(['build']);
    expect(withDefaultCommand(['-s', 'x'])).toEqual(['build', '-s', 'x']);
    expect(withDefaultCommand(['--', '--fail-fast'])).toEqual(['build', '--', '--fail-fast']);
    expect(withDefaultCommand(['test', '-s', 'x'])).toEqual(['test', '-s', 'x']);
    expect(withDefaultCommand(['--help'])).toEqual(['--help']);
    expect(withDefaultCommand(['-v'])).toEqual(['-v']);
    expect(withDefaultCommand(['deploy'])).toEqual(['deploy']);
  });

  it('dbt-run -s x reaches build (which then finds no project here)', async () => {
    await expectOneLineError(['-s', 'x'], `no dbt project at ${cwd} (dbt_project.yml not found): pass --project-dir`);
    await expectOneLineError([], `no dbt project at ${cwd} (dbt_project.yml not found): pass --project-dir`);
  });
});
