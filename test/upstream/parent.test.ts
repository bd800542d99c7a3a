/**
 * Parent products: the --parent spec (pure), reading a parent from a real
 * local git repository at a tag, a branch or a commit, and the one-line
 * refusals (bad URL, unknown revision, not a dbt project, a credential in
 * the URL, a dbt-product.yml that fails the schema) that leave nothing written.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { simpleGit } from 'simple-git';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProductManifestError } from '../../src/product/read.js';
import { createProduct } from '../../src/scaffold/create.js';
import { normaliseOptions } from '../../src/scaffold/options.js';
import { parseParentSpec, publicModelsIn, readParent } from '../../src/upstream/parent.js';
import { packageGitUrl } from '../../src/upstream/plan.js';
import { commitAll } from '../harness/git.js';
import { tempDir } from '../harness/product.js';

const BIN = new URL('../../packages/create-dbt-product/bin/create-dbt-product.js', import.meta.url).pathname;
let root: string;
let parentDir: string;
let sha: string;
let branch: string;

beforeAll(async () => {
  root = await tempDir('dbt-product-kit-parent-');
  parentDir = path.join(root, 'shop');
  await createProduct(normaliseOptions({ dir: parentDir, name: 'shop' }));
  const git = simpleGit(parentDir, { config: ['user.email=test@localhost', 'user.name=test'] });
  await git.addTag('v1.0.0');
  sha = (await git.revparse(['HEAD'])).trim();
  branch = (await git.raw(['branch', '--show-current'])).trim();
  // A repository that is not a dbt project.
  const plain = path.join(root, 'plain');
  await mkdir(plain);
  await writeFile(path.join(plain, 'README.md'), '# not dbt\n');
  await commitAll(plain, 'plain');
  // A kit product whose dbt-product.yml fails the schema.
  const broken = path.join(root, 'shop-broken');
  await simpleGit(root).clone(parentDir, broken);
  const manifest = path.join(broken, 'dbt-product.yml');
  await writeFile(manifest, (await readFile(manifest, 'utf8')).replace('type: redshift\n', 'type: bigquery\n'));
  await commitAll(broken, 'a warehouse the kit does not know');
});

afterAll(() => rm(root, { recursive: true, force: true }));

describe('parseParentSpec', () => {
  it('splits <git-url>#<revision> and keeps ssh users', () => {
    expect(parseParentSpec('https://github.com/acme/shop.git#v1.2.0')).toEqual({
      url: 'https://github.com/acme/shop.git',
      revision: 'v1.2.0',
    });
    expect(parseParentSpec('git@github.com:acme/shop.git#main').url).toBe('git@github.com:acme/shop.git');
    expect(parseParentSpec('ssh://git@github.com/acme/shop.git#abc123').url).toBe('ssh://git@github.com/acme/shop.git');
  });

  it.each([
    [
      'https://github.com/acme/shop.git',
      'invalid --parent "https://github.com/acme/shop.git": give <git-url>#<revision>',
    ],
    ['https://github.com/acme/shop.git#', 'give <git-url>#<revision>'],
    ['https://github.com/acme/shop.git#-x', 'invalid --parent revision "-x"'],
    [
      'https://ghp_secret123@github.com/acme/shop.git#v1',
      '--parent https://***@github.com/acme/shop.git carries a credential: remove it; private repositories read DBT_ENV_SECRET_GIT_CREDENTIAL',
    ],
    ['ssh://git:hunter2@example.com/shop.git#v1', 'carries a credential'],
  ])('refuses %s in one line', (spec, message) => {
    expect(() => parseParentSpec(spec)).toThrow(message);
    try {
      parseParentSpec(spec);
    } catch (error) {
      expect((error as Error).message).not.toContain('\n');
      expect((error as Error).message).not.toMatch(/ghp_secret123|hunter2/);
    }
  });
});

describe('the pinned package URL', () => {
  it('takes an https credential from the environment at dbt deps time, never literally', () => {
    expect(packageGitUrl('https://github.com/acme/shop.git')).toBe(
      "https://{{ env_var('DBT_ENV_SECRET_GIT_CREDENTIAL') }}@github.com/acme/shop.git",
    );
    expect(packageGitUrl('file:///srv/git/shop')).toBe('file:///srv/git/shop');
    expect(packageGitUrl('git@github.com:acme/shop.git')).toBe('git@github.com:acme/shop.git');
  });
});

describe('publicModelsIn', () => {
  it('finds models declared public at the top level or in config', () => {
    const yaml =
      'models:\n  - name: a\n    access: public\n  - name: b\n  - name: c\n    config:\n      access: public\n';
    expect(publicModelsIn(yaml)).toEqual(['a', 'c']);
    expect(publicModelsIn('sources: []')).toEqual([]);
    expect(publicModelsIn(': not yaml [')).toEqual([]);
  });
});

describe('readParent (a real local repository)', () => {
  it('reads the project name, the full commit and the public models at a tag, a branch or a commit', async () => {
    const url = `file://${parentDir}`;
    for (const revision of ['v1.0.0', branch, sha, sha.slice(0, 10)]) {
      const parent = await readParent({ url, revision });
      expect(parent, revision).toMatchObject({ url, revision, sha, name: 'shop' });
      expect(parent.publicModels).toEqual(['dim_customers', 'fct_orders']);
      // The scaffold's topic ARNs are placeholders until the parent's team fills them in.
      expect(parent.eventsTopicArn).toBeUndefined();
    }
  });

  it("records a parent's real prod events topic from its dbt-product.yml", async () => {
    const copy = path.join(root, 'shop-with-topic');
    await simpleGit(root).clone(parentDir, copy);
    const file = path.join(copy, 'dbt-product.yml');
    const arn = 'arn:aws:sns:eu-west-1:123456789012:shop-prod-events';
    await writeFile(
      file,
      (await readFile(file, 'utf8')).replace('arn:aws:sns:REGION:ACCOUNT_ID:shop-prod-events', arn),
    );
    await commitAll(copy, 'real topics');
    const parent = await readParent({ url: `file://${copy}`, revision: 'HEAD' });
    expect(parent.eventsTopicArn).toBe(arn);
  });

  it('refuses a parent whose dbt-product.yml fails the schema, in one line naming the parent, the file and the problem', async () => {
    const url = `file://${path.join(root, 'shop-broken')}`;
    const error = await readParent({ url, revision: 'HEAD' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ProductManifestError);
    expect((error as ProductManifestError).exitCode).toBe(2);
    expect((error as Error).message).toMatch(
      new RegExp(`^the parent ${url} at HEAD: dbt-product\\.yml: warehouse\\.type: Invalid option: .*"redshift"`),
    );
    expect((error as Error).message).not.toContain('\n');
  });

  it('refuses an unknown revision, a repository that is not a dbt project, and an unreadable URL', async () => {
    await expect(readParent({ url: `file://${parentDir}`, revision: 'v9.9.9' })).rejects.toThrow(
      `unknown revision "v9.9.9" in file://${parentDir}: give a tag, branch or commit it has`,
    );
    const plain = path.join(root, 'plain');
    await expect(readParent({ url: `file://${plain}`, revision: 'HEAD' })).rejects.toThrow(
      `file://${plain} at HEAD has no dbt_project.yml: --parent takes a dbt project`,
    );
    await expect(readParent({ url: `file://${root}/missing`, revision: 'v1' })).rejects.toThrow(
      `cannot read the parent repository file://${root}/missing: `,
    );
  });
});

describe('create-dbt-product --parent', () => {
  it('pins the parent to its full commit, records it upstream, and writes a model reading its public model', async () => {
    const child = path.join(root, 'kids');
    const run = await execa(
      process.execPath,
      [BIN, child, '--yes', '--no-git', '--parent', `file://${parentDir}#v1.0.0`],
      {
        reject: false,
        env: { CI: 'true' },
      },
    );
    expect(run.exitCode, run.stderr).toBe(0);
    const read = (file: string) => execa('cat', [path.join(child, file)]).then((result) => result.stdout);
    expect(await read('packages.yml')).toContain(`  - git: "file://${parentDir}"\n    revision: "${sha}" # v1.0.0`);
    expect(await read('dbt-product.yml')).toContain(
      `upstream:\n  - name: shop\n    git: file://${parentDir}\n    revision: ${sha}`,
    );
    expect(await read('models/upstream/upstream_shop_dim_customers.sql')).toContain("ref('shop', 'dim_customers')");
    expect(await read('dbt_project.yml')).toContain('upstream_schemas:\n    shop: shop');
    // No demo models in a child: its parents' own would clash with them.
    expect(existsSync(path.join(child, 'models', 'staging'))).toBe(false);
  });

  it.each([
    ['an unknown revision', (dir: string) => `file://${dir}#nope`, 'unknown revision "nope"'],
    ['a missing repository', (dir: string) => `file://${dir}-missing#v1.0.0`, 'cannot read the parent repository'],
    ['a token in the URL', () => 'https://tok@github.com/acme/shop.git#v1', 'carries a credential'],
    [
      'a repository without dbt_project.yml',
      (dir: string) => `file://${path.join(path.dirname(dir), 'plain')}#HEAD`,
      'has no dbt_project.yml: --parent takes a dbt project',
    ],
    [
      'a parent whose dbt-product.yml fails the schema',
      (dir: string) => `file://${dir}-broken#HEAD`,
      'at HEAD: dbt-product.yml: warehouse.type: Invalid option',
    ],
  ])('%s: one line, exit 2, nothing written', async (_label, spec, message) => {
    const child = path.join(root, `refused-${Math.random().toString(36).slice(2)}`);
    const run = await execa(process.execPath, [BIN, child, '--yes', '--parent', spec(parentDir)], {
      reject: false,
      env: { CI: 'true' },
    });
    expect(run.exitCode).toBe(2);
    const errorLines = run.stderr.split('\n').filter((line) => line.startsWith('error:'));
    expect(errorLines).toHaveLength(1);
    expect(errorLines[0]).toContain(message);
    expect(existsSync(child)).toBe(false);
  });
});

describe('create-dbt-product --parent never prints a credential', () => {
  const token = 'ghs_s3cretT0ken';
  it.each([
    [
      'a spec without #revision',
      () => `https://x-access-token:${token}@github.com/acme/orders.git`,
      'invalid --parent "https://***@github.com/acme/orders.git"',
    ],
    [
      'a bad revision',
      () => `https://x-access-token:${token}@github.com/acme/orders.git#-x`,
      'invalid --parent revision',
    ],
    // A file or git URL's userinfo is refused before git ever sees it (parent-credentials.test.ts has every scheme).
    [
      'a file URL with a token',
      (dir: string) => `file://${token}@localhost${dir}#nope`,
      '--parent file://***@localhost/',
    ],
    [
      'a git URL with a token',
      () => `git://${token}@127.0.0.1:1/acme/orders.git#v1`,
      '--parent git://***@127.0.0.1:1/acme/orders.git carries a credential',
    ],
    [
      'an unreachable https URL',
      () => `https://x-access-token:${token}@127.0.0.1:1/acme/orders.git#v1`,
      '--parent https://***@127.0.0.1:1/acme/orders.git carries a credential',
    ],
  ])('%s', async (_label, spec, message) => {
    const child = path.join(root, `secret-${Math.random().toString(36).slice(2)}`);
    const run = await execa(process.execPath, [BIN, child, '--yes', '--parent', spec(parentDir)], {
      reject: false,
      env: { CI: 'true' },
    });
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toContain(message);
    expect(`${run.stdout}\n${run.stderr}`).not.toContain(token);
  });
});
