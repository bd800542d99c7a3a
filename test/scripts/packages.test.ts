/**
 * The kit as users get it: the three packages `npm run pack` makes, installed into an empty
 * folder with no access to this repository, on the machine's Node and on Node 22 and 24 (from
 * npm's `node` package). Each installed kit runs dbt-run --help and setup, scaffolds a product
 * with create-dbt-product, and dbt-run builds it on DuckDB.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { cp, mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProduct, normaliseOptions } from '../../src/scaffold/index.js';
import { defaultCacheDir } from '../../src/toolchain/plan.js';
import { nodeFromNpm } from '../harness/node.js';
import { tempDir } from '../harness/product.js';

const ROOT = path.resolve('.');
const readJson = (file: string) => JSON.parse(readFileSync(path.join(ROOT, file), 'utf8'));
const LIBRARY = readJson('package.json');
const CLIS = ['packages/dbt-run/package.json', 'packages/create-dbt-product/package.json'].map(readJson);

describe('package manifests', () => {
  it('keeps the three versions in step, each CLI on the exact library version, with no file: dependency', () => {
    for (const cli of CLIS) {
      expect(cli.version, cli.name).toBe(LIBRARY.version);
      expect(cli.dependencies, cli.name).toEqual({ 'dbt-product-kit': LIBRARY.version });
      expect(cli.engines, cli.name).toEqual(LIBRARY.engines);
    }
    for (const manifest of [LIBRARY, ...CLIS]) {
      for (const spec of Object.values({ ...manifest.dependencies, ...manifest.devDependencies })) {
        expect(spec, manifest.name).not.toMatch(/^(file|link):/);
      }
    }
    expect(LIBRARY.engines).toEqual({ node: '>=22' });
  });

  it('lists as a dependency every package the compiled library imports', () => {
    const imported = new Set<string>();
    for (const file of readdirSync(path.join(ROOT, 'dist'), { recursive: true, encoding: 'utf8' })) {
      if (!file.endsWith('.js')) continue;
      const source = readFileSync(path.join(ROOT, 'dist', file), 'utf8');
      // A package's own files are resolved too (the report inlines uPlot's: require.resolve).
      for (const [, specifier] of source.matchAll(/(?:from |import\(|require\.resolve\()'([^'.][^']*)'/g)) {
        if (specifier?.startsWith('node:')) continue;
        imported.add(specifier?.match(/^(@[^/]+\/[^/]+|[^/]+)/)?.[1] ?? '');
      }
    }
    expect([...imported].sort()).toEqual(Object.keys(LIBRARY.dependencies).sort());
  });
});

describe('installed from the packed tarballs', () => {
  let packs: string;
  let tarballs: string[];
  beforeAll(async () => {
    packs = await tempDir('packs-');
    const { stdout } = await execa(process.execPath, [path.join(ROOT, 'scripts/pack.mjs'), packs]);
    tarballs = stdout.split('\n');
    expect(tarballs.map((file) => path.basename(file)).sort()).toEqual(
      ['create-dbt-product', 'dbt-product-kit', 'dbt-run'].map((name) => `${name}-${LIBRARY.version}.tgz`),
    );
  });
  afterAll(async () => {
    await rm(packs, { recursive: true, force: true });
  });

  // The machine's Node (whatever runs this suite), then the two supported lines.
  it.each([
    ['system', undefined],
    ['22', 'node@22'],
    ['24', 'node@24'],
  ] as const)('on Node %s: installs, sets up, scaffolds and builds a product', async (_label, nodePackage) => {
    const node = nodePackage ? await nodeFromNpm(nodePackage) : process.execPath;
    const nodeMajor = Number((await execa(node, ['-p', 'process.versions.node'])).stdout.split('.')[0]);
    const dir = await tempDir('installed-kit-');
    try {
      const env: Record<string, string | undefined> = {
        ...process.env,
        // `npm`, `npx` and every `#!/usr/bin/env node` bin run on this Node.
        PATH: `${path.dirname(node)}${path.delimiter}${process.env.PATH}`,
        // The venv this suite already uses: setup must find it, not build another.
        DBT_PRODUCT_KIT_CACHE: defaultCacheDir(process.env),
        DBT_PRODUCT_DUCKDB_PATH: path.join(dir, 'warehouse.duckdb'),
        DBT_SEND_ANONYMOUS_USAGE_STATS: 'false',
        CI: '',
      };
      // scripts/test.mjs silences the AWS SDK's Node 20 warning for the suite; users get it. And
      // `npm test` hands its own settings down as npm_config_* variables (its prefix among them),
      // which a user's shell does not have.
      delete env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED;
      for (const name of Object.keys(env)) if (/^npm_config_/i.test(name)) delete env[name];
      const run = (file: string, args: string[], cwd = dir) =>
        execa(file, args, { cwd, env, extendEnv: false, reject: false, all: true, stdin: 'ignore' });

      // Node 24 installs the way a product's README says (a global install from vendor/kit/, here
      // into a prefix of the test's own), the others into a project's node_modules. Either way
      // only the tarballs are there: nothing of this repository is reachable.
      const global = nodeMajor >= 24;
      const prefix = path.join(dir, 'global');
      let install: Awaited<ReturnType<typeof run>>;
      if (global) {
        const line = await productReadmeInstallLine(dir, tarballs);
        const flags = `--prefix ${prefix} --no-audit --no-fund --prefer-offline`;
        install = await run('bash', ['-c', `${line} ${flags}`], path.join(dir, 'product'));
      } else {
        await mkdir(path.join(dir, 'vendor'));
        await Promise.all(tarballs.map((file) => cp(file, path.join(dir, 'vendor', path.basename(file)))));
        await execa('npm', ['init', '-y'], { cwd: dir, env, extendEnv: false });
        const files = tarballs.map((file) => `./vendor/${path.basename(file)}`);
        install = await run('npm', ['install', ...files, '--no-audit', '--no-fund', '--prefer-offline']);
      }
      expect(install.exitCode, install.all).toBe(0);
      const bin = (name: string) =>
        path.join(global ? path.join(prefix, 'bin') : path.join(dir, 'node_modules', '.bin'), name);

      const help = await run(bin('dbt-run'), ['--help']);
      expect(help.exitCode, help.all).toBe(0);
      expect(help.stdout).toMatch(/^Usage: dbt-run/);
      const setup = await run(bin('dbt-run'), ['setup']);
      expect(setup.exitCode, setup.all).toBe(0);
      const create = await run(bin('create-dbt-product'), ['demo', '--yes', '--no-git']);
      expect(create.exitCode, create.all).toBe(0);
      const build = await run(bin('dbt-run'), ['build'], path.join(dir, 'demo'));
      expect(build.exitCode, build.all).toBe(0);
      expect(build.stdout).toMatch(/audit: \d+ rows written to duckdb/);
      expect(build.stdout).toMatch(/dbt-run: success \(exit 0\)/);
      // The audit report inlines uPlot: the installed kit finds it among its own dependencies.
      const report = await run(bin('dbt-run'), ['audit', 'report', '--out', 'report.html'], path.join(dir, 'demo'));
      expect(report.exitCode, report.all).toBe(0);
      expect(await readFile(path.join(dir, 'demo', 'report.html'), 'utf8')).toMatch(/Charts drawn with uPlot 1\.\d+/);

      if (nodeMajor >= 22) {
        // On a supported Node, no warning from the kit or its dependencies, at install or at run time.
        for (const step of [install, help, setup, create, build, report]) {
          expect(step.stderr, step.command).not.toMatch(/warn|deprecat/i);
        }
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

/**
 * A product scaffolded (by this repository's library) for MWAA Serverless in `dir/product`, the
 * kit's tarballs in its vendor/kit/, and the line of its README that installs them; its
 * Dockerfile installs from the same folder.
 */
async function productReadmeInstallLine(dir: string, tarballs: string[]): Promise<string> {
  const options = normaliseOptions({ dir: path.join(dir, 'product'), git: false, orchestrator: 'mwaa-serverless' });
  await createProduct(options);
  const kit = path.join(options.dir, 'vendor', 'kit');
  await Promise.all(tarballs.map((file) => cp(file, path.join(kit, path.basename(file)))));
  const readme = await readFile(path.join(options.dir, 'README.md'), 'utf8');
  const line = readme.split('\n').find((text) => text.startsWith('npm install --global ./vendor/kit/'));
  expect(line).toBeDefined();
  const dockerfile = await readFile(path.join(options.dir, 'Dockerfile'), 'utf8');
  expect(dockerfile).toContain('COPY vendor/kit/ /tmp/kit/');
  expect(dockerfile).toContain('npm install --global /tmp/kit/*.tgz');
  return (line ?? '').replace(/#.*$/, '').trim();
}
