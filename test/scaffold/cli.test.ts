/**
 * The create-dbt-product command as users run it: the real bin in a child
 * process, without a TTY (as in CI), and through `npm create dbt-product`.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { simpleGit } from 'simple-git';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { directoriesAfterDoubleDash, main } from '../../src/scaffold/cli.js';
import { kitVersion } from '../../src/version.js';
import { tempDir } from '../harness/product.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const bin = path.join(repoRoot, 'packages/create-dbt-product/bin/create-dbt-product.js');

let root: string;
beforeAll(async () => {
  root = await tempDir('create-dbt-product-cli-');
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

function run(args: string[], cwd = root) {
  // stdin is not a TTY: the command must never prompt or wait.
  return execa('node', [bin, ...args], { cwd, reject: false, input: '', env: { CI: '' }, timeout: 60_000 });
}

/** Every path below a directory, to prove a failed run changed nothing. */
async function listing(dir: string): Promise<string[]> {
  if (!existsSync(dir)) return ['<missing>'];
  return (await readdir(dir, { recursive: true })).sort();
}

describe('create-dbt-product (bin, no TTY)', () => {
  it('creates a product with --yes, commits it, and prints next steps', async () => {
    const result = await run(['orders', '--yes', '--owner', 'ana@example.com']);
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('Created orders in orders');
    expect(result.stdout).toContain(`npm install --global dbt-run@${kitVersion()}`);
    expect(result.stdout).toMatch(/^ {2}dbt-run setup .*\n {2}dbt-run build /m);
    expect(result.stdout).toContain('infra/github-<environment>.env');
    expect(result.stdout).not.toContain('.venv/bin/dbt');
    const dir = path.join(root, 'orders');
    expect(existsSync(path.join(dir, 'dbt_project.yml'))).toBe(true);
    expect(existsSync(path.join(dir, '.gitignore'))).toBe(true);
    const log = await simpleGit(dir).log();
    expect(log.total).toBe(1);
    expect(log.latest?.message).toMatch(/^Create orders with create-dbt-product/);
    expect((await simpleGit(dir).status()).isClean()).toBe(true);
    // No temporary staging folder is left beside the product.
    expect((await readdir(root)).filter((entry) => entry.includes('create-dbt-product'))).toEqual([]);
  });

  it('does not prompt without a TTY even without --yes', async () => {
    const result = await run(['billing', '--no-git']);
    expect(result.exitCode).toBe(0);
    expect(existsSync(path.join(root, 'billing', '.git'))).toBe(false);
  });

  it('accepts a directory holding only .git, and does not nest a repository inside a work tree', async () => {
    const dir = path.join(root, 'with_git');
    await mkdir(dir);
    await simpleGit(dir).init();
    const result = await run(['with_git', '--yes']);
    expect(result.exitCode).toBe(0);
    const nested = path.join(dir, 'nested');
    expect((await run([nested, '--yes', '--name', 'nested'])).exitCode).toBe(0);
    expect(existsSync(path.join(nested, '.git'))).toBe(false);
  });

  it('works through npm create dbt-product', async () => {
    const target = path.join(root, 'via_npm');
    const result = await execa('npm', ['create', 'dbt-product', '--', target, '--yes', '--no-git'], {
      cwd: repoRoot,
      reject: false,
      input: '',
      timeout: 120_000,
    });
    expect(result.exitCode).toBe(0);
    expect(existsSync(path.join(target, 'dbt-product.yml'))).toBe(true);
  });

  it('replaces files in a non-empty directory with --force and keeps the others', async () => {
    const dir = path.join(root, 'forced');
    await mkdir(dir);
    await writeFile(path.join(dir, 'notes.txt'), 'keep me');
    await writeFile(path.join(dir, 'dbt_project.yml'), 'old');
    expect((await run(['forced', '--yes', '--force', '--no-git'])).exitCode).toBe(0);
    expect(await readdir(dir)).toContain('notes.txt');
    expect((await import('node:fs')).readFileSync(path.join(dir, 'dbt_project.yml'), 'utf8')).toContain('name: forced');
  });

  describe('bad input: one line, exit 2, nothing written', () => {
    const cases: [string, string[], string, (() => Promise<void>)?][] = [
      ['bad name', ['x1', '--name', 'Bad-Name', '--yes'], 'invalid product name "Bad-Name"'],
      ['reserved word', ['x2', '--name', 'select', '--yes'], 'reserved word'],
      ['name from directory', ['select', '--yes'], 'taken from the directory name; pass --name'],
      ['unknown warehouse', ['x3', '--warehouse', 'snowflake', '--yes'], "argument 'snowflake' is invalid"],
      ['unknown auth', ['x4', '--auth', 'kerberos', '--yes'], "argument 'kerberos' is invalid"],
      ['unknown flag', ['x5', '--colour', 'red', '--yes'], "unknown option '--colour'"],
      ['missing directory', ['--yes'], 'missing directory'],
      ['empty owner', ['x6', '--owner', '', '--yes'], 'invalid --owner'],
      [
        'non-empty directory',
        ['occupied', '--yes'],
        'is not empty',
        async () => {
          await mkdir(path.join(root, 'occupied'), { recursive: true });
          await writeFile(path.join(root, 'occupied', 'keep.txt'), 'data');
        },
      ],
      [
        'a file in the way',
        ['afile', '--yes'],
        'is not a directory',
        () => writeFile(path.join(root, 'afile'), 'data'),
      ],
      ['nested missing parent with bad name', ['deep/er/x7', '--name', 'Bad', '--yes'], 'invalid product name'],
    ];

    it.each(cases)('%s', async (_label, args, message, arrange) => {
      await arrange?.();
      const before = await listing(root);
      const result = await run(args);
      expect(result.exitCode).toBe(2);
      const lines = result.stderr.trimEnd().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^error: /);
      expect(lines[0]).toContain(message);
      expect(await listing(root)).toEqual(before);
    });
  });

  it('prints help and version with exit 0', async () => {
    const help = await run(['--help']);
    expect(help.exitCode).toBe(0);
    expect(help.stdout).toContain('--warehouse <type>');
    expect(help.stdout).toContain('--execution <mode>');
    expect(help.stdout).toMatch(/choices:\s+"watcher",\s+"per-node"/);
    expect(help.stdout).toContain('Exit codes');
    const version = await run(['--version']);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  describe('a directory named upgrade, beside the upgrade command', () => {
    it.each([
      ['./upgrade', ['./upgrade', '--yes', '--no-git']],
      ['-- upgrade', ['--yes', '--no-git', '--', 'upgrade']],
    ])('create-dbt-product %s scaffolds it', async (label, args) => {
      const cwd = path.join(root, `named_upgrade_${label.startsWith('--') ? 'dashes' : 'dot'}`);
      await mkdir(cwd);
      const result = await run(args, cwd);
      expect(result.stderr).toBe('');
      expect(result.exitCode).toBe(0);
      expect(result.stdout).toContain('Created upgrade in upgrade');
      expect(existsSync(path.join(cwd, 'upgrade', 'dbt_project.yml'))).toBe(true);
    });

    it('upgrade has its own --help, and takes none of the scaffolding options', async () => {
      const help = await run(['upgrade', '--help']);
      expect(help.exitCode).toBe(0);
      expect(help.stdout).toMatch(/^Usage: create-dbt-product upgrade \[options\]/);
      expect(help.stdout).toContain('--dry-run');
      expect(help.stdout).not.toContain('--warehouse');
      expect(help.stdout).toContain('create-dbt-product ./upgrade');
      expect((await run(['--help'])).stdout).not.toMatch(/^ {2}--dry-run/m); // an option of upgrade only
      for (const args of [
        ['upgrade', '--yes'],
        ['--owner', 'x', 'upgrade'],
      ]) {
        const result = await run(args);
        expect(result.exitCode).toBe(2);
        expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
        expect(result.stderr).toMatch(/^error: (unknown option '--yes'|upgrade takes no --owner: )/);
      }
    });
  });

  it('after --, every word is a directory: two are one too many', async () => {
    expect(directoriesAfterDoubleDash(['--yes', '--', 'upgrade'])).toEqual(['--yes', '--', './upgrade']);
    expect(directoriesAfterDoubleDash(['upgrade', '--dry-run'])).toEqual(['upgrade', '--dry-run']);
    const result = await run(['--yes', '--', 'a', 'b']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr.trim()).toBe('error: too many arguments. Expected 1 argument but got 2.');
  });
});

describe('create-dbt-product prompts (interactive)', () => {
  it('prompts in a real terminal, with defaults, and creates what was answered', async () => {
    // util-linux `script` gives the bin a pseudo-terminal; we answer each prompt as it appears.
    const answers: [string, string][] = [
      ['Directory for the new product', 'tty_product\r'],
      ['dbt project name', '\r'], // accept the default, from the directory
      ['Owning team or e-mail', 'me@example.com\r'],
      ['Redshift flavour', '\u001b[B\r'], // arrow down: Serverless
      ['Redshift authentication', '\r'],
      ['Orchestrator', '\u001b[B\u001b[B\r'], // twice down: none
    ];
    const child = execa('script', ['-qfec', `${process.execPath} ${bin} --no-git`, '/dev/null'], {
      cwd: root,
      reject: false,
      env: { CI: '', TERM: 'xterm' },
      timeout: 60_000,
    });
    let screen = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      screen += chunk.toString();
      while (answers.length > 0 && screen.includes(answers[0]?.[0] ?? '')) {
        child.stdin?.write(answers.shift()?.[1]);
      }
      if (answers.length === 0) child.stdin?.end();
    });
    const result = await child;
    expect(answers, screen).toEqual([]);
    expect(result.exitCode, screen).toBe(0);
    const dir = path.join(root, 'tty_product');
    const manifest = (await import('node:fs')).readFileSync(path.join(dir, 'dbt-product.yml'), 'utf8');
    expect(manifest).toContain('name: tty_product');
    expect(manifest).toContain('owner: me@example.com');
    expect(manifest).toContain('type: redshift-serverless');
    expect(manifest).toContain('orchestrator: none');
    expect((await import('node:fs')).existsSync(path.join(dir, 'dags'))).toBe(false);
  });

  function io(prompt?: (input: object) => Promise<object>) {
    const out: string[] = [];
    return {
      out,
      io: {
        stdout: { write: (text: string) => out.push(text) },
        stderr: { write: (text: string) => out.push(text) },
        interactive: true,
        cwd: root,
        ...(prompt ? { prompt } : {}),
      },
    };
  }

  it('asks for what the flags left out when a person is at the terminal', async () => {
    const asked: object[] = [];
    const { io: terminal } = io(async (input) => {
      asked.push(input);
      return { ...input, dir: 'prompted', name: 'prompted_product', warehouse: 'redshift-serverless', auth: 'iam' };
    });
    expect(await main(['--no-git'], terminal)).toBe(0);
    expect(asked).toHaveLength(1);
    const profiles = (await import('node:fs')).readFileSync(path.join(root, 'prompted', 'profiles.yml'), 'utf8');
    expect(profiles).toContain('method: iam_role');
  });

  it('exits 130 with nothing written when the person cancels a prompt (Ctrl-C)', async () => {
    const before = await listing(root);
    const { io: terminal, out } = io(async () => {
      throw Object.assign(new Error('User force closed the prompt with SIGINT'), { name: 'ExitPromptError' });
    });
    expect(await main(['cancelled_product'], terminal)).toBe(130);
    expect(out.join('')).toBe('cancelled: nothing was written\n');
    expect(await listing(root)).toEqual(before);
  });

  it('never asks with --yes', async () => {
    const { io: terminal } = io(async () => {
      throw new Error('prompted despite --yes');
    });
    expect(await main(['quiet', '--yes', '--no-git'], terminal)).toBe(0);
  });
});
