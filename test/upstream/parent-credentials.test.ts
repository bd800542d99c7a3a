/**
 * A credential in a --parent URL, in every scheme git takes (https, http,
 * git, file, ssh, their git+ forms, scp-like remotes) and however it is
 * spelled (a token alone, user:password, percent-encoded, a password holding
 * `@`, `/`, `#` or `?`): refused in one line that names no secret and says
 * where credentials go instead, before anything is read or written. ssh login
 * names (git@host) are no secret and pass. The real bin proves it on a real
 * local repository whose revision exists, so that only the credential stops it.
 */
import { existsSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { simpleGit } from 'simple-git';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { createProduct } from '../../src/scaffold/create.js';
import { normaliseOptions } from '../../src/scaffold/options.js';
import { carriesCredential, parseParentSpec, shownParentUrl } from '../../src/upstream/parent.js';
import { tempDir } from '../harness/product.js';

const BIN = new URL('../../packages/create-dbt-product/bin/create-dbt-product.js', import.meta.url).pathname;
/** Both halves of every secret below: neither may appear in any message. */
const HALVES = ['S3CR', 'ET99'];

describe('parseParentSpec refuses a credential in any scheme', () => {
  it.each([
    ['https://x-access-token:S3CRET99@github.com/acme/orders.git#v1', 'https://***@github.com/acme/orders.git'],
    ['https://S3CRET99@github.com/acme/orders.git#v1', 'https://***@github.com/acme/orders.git'],
    ['http://ana:S3CRET99@git.example.com/orders.git#v1', 'http://***@git.example.com/orders.git'],
    ['HTTPS://ANA:S3CRET99@GITHUB.COM/acme/orders.git#v1', 'HTTPS://***@GITHUB.COM/acme/orders.git'],
    ['git+https://ana:S3CRET99@github.com/acme/orders.git#v1', 'git+https://***@github.com/acme/orders.git'],
    ['file://ana:S3CRET99@localhost/srv/git/orders#v1', 'file://***@localhost/srv/git/orders'],
    ['file://S3CRET99@localhost/srv/git/orders#v1', 'file://***@localhost/srv/git/orders'],
    ['git://S3CRET99@git.example.com/orders.git#v1', 'git://***@git.example.com/orders.git'],
    ['git://ana:S3CRET99@git.example.com:9418/orders.git#v1', 'git://***@git.example.com:9418/orders.git'],
    ['ssh://ana:S3CRET99@git.example.com/orders.git#v1', 'ssh://***@git.example.com/orders.git'],
    ['ssh://ana%3AS3CRET99@git.example.com/orders.git#v1', 'ssh://***@git.example.com/orders.git'],
    ['git+ssh://git:S3CRET99@github.com/acme/orders.git#v1', 'git+ssh://***@github.com/acme/orders.git'],
    ['ana:S3CRET99@git.example.com:acme/orders.git#v1', '***@git.example.com:acme/orders.git'],
    // Passwords holding the characters that end a URL's parts.
    ['https://ana:S3CR@ET99@github.com/acme/orders.git#v1', 'https://***@github.com/acme/orders.git'],
    ['https://ana:S3CR/ET99@github.com/acme/orders.git#v1', 'https://***@github.com/acme/orders.git'],
    ['https://ana:S3CR?ET99@github.com/acme/orders.git#v1', 'https://***@github.com/acme/orders.git'],
    ['https://ana:S3CR#ET99@github.com/acme/orders.git#v1', 'https://***@github.com/acme/orders.git'],
    ['https://ana:S3CR#ET99@github.com/acme/orders.git', 'https://***@github.com/acme/orders.git'],
    ['https://S3CR#ET99@github.com/acme/orders.git', 'https://***@github.com/acme/orders.git'],
  ])('%s', (spec, shown) => {
    let error: unknown;
    try {
      parseParentSpec(spec);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(UsageError);
    const message = (error as Error).message;
    expect(message).toBe(
      `--parent ${shown} carries a credential: remove it; private repositories read DBT_ENV_SECRET_GIT_CREDENTIAL at dbt deps time and your git credential helper here`,
    );
    for (const half of HALVES) expect(message).not.toContain(half);
  });

  it('keeps ssh login names, plain URLs and tags holding an @', () => {
    for (const [spec, url, revision] of [
      ['ssh://git@github.com/acme/orders.git#v1', 'ssh://git@github.com/acme/orders.git', 'v1'],
      ['git+ssh://git@github.com:22/acme/orders.git#main', 'git+ssh://git@github.com:22/acme/orders.git', 'main'],
      ['git@github.com:acme/orders.git#v1', 'git@github.com:acme/orders.git', 'v1'],
      ['file:///srv/git/orders#v1', 'file:///srv/git/orders', 'v1'],
      ['https://github.com/acme/orders.git#orders@1.2.0', 'https://github.com/acme/orders.git', 'orders@1.2.0'],
    ]) {
      expect(parseParentSpec(spec as string), spec).toEqual({ url, revision });
    }
  });

  it('a spec without a revision names no secret either', () => {
    expect(() => parseParentSpec('https://github.com/acme/orders.git')).toThrow(
      'invalid --parent "https://github.com/acme/orders.git": give <git-url>#<revision>',
    );
    expect(shownParentUrl('https://a:S3CR/ET99@h/x')).toBe('https://***@h/x');
    expect(carriesCredential('https://h/x')).toBe(false);
  });
});

describe('create-dbt-product --parent with a credential (real bin, real repository)', () => {
  let root: string;
  let parentDir: string;
  beforeAll(async () => {
    root = await tempDir('dbt-product-kit-parent-credentials-');
    parentDir = path.join(root, 'shop');
    await createProduct(normaliseOptions({ dir: parentDir, name: 'shop' }));
    await simpleGit(parentDir).addTag('v1.0.0');
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it.each([
    // git reads these (the revision exists): before the check, the product was created with the secret in
    // its packages.yml and dbt-product.yml.
    ['file, a token', (dir: string) => `file://S3CRET99@localhost${dir}#v1.0.0`],
    ['file, user and password', (dir: string) => `file://ana:S3CRET99@localhost${dir}#v1.0.0`],
    ['https, GitHub app token', () => 'https://x-access-token:S3CRET99@127.0.0.1:1/acme/orders.git#v1.0.0'],
    ['git protocol, a token', () => 'git://S3CRET99@127.0.0.1:1/acme/orders.git#v1.0.0'],
    ['ssh, user and password', () => 'ssh://ana:S3CRET99@127.0.0.1:1/acme/orders.git#v1.0.0'],
    ['https, a password holding #', () => 'https://ana:S3CR#ET99@127.0.0.1:1/acme/orders.git'],
  ])('%s: one line, exit 2, no secret printed, nothing written', async (_label, spec) => {
    const child = path.join(root, `child-${Math.random().toString(36).slice(2)}`);
    const run = await execa(process.execPath, [BIN, child, '--yes', '--parent', spec(parentDir)], {
      reject: false,
      env: { CI: 'true' },
    });
    expect(run.exitCode, run.stderr).toBe(2);
    expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/^error: --parent \S+:\/\/\*\*\*@\S+ carries a credential: remove it; /);
    expect(run.stderr).toContain('your git credential helper');
    for (const half of HALVES) expect(`${run.stdout}\n${run.stderr}`).not.toContain(half);
    expect(existsSync(child)).toBe(false);
    expect((await readdir(root)).filter((entry) => entry.startsWith('.child-'))).toEqual([]);
  });

  it('--help says where a private parent repository takes its credential', async () => {
    const run = await execa(process.execPath, [BIN, '--help'], { env: { CI: 'true' } });
    expect(run.stdout).toMatch(/--parent <git-url#revision>[^\n]*\n?[^\n]*no credential in the URL/);
    expect(run.stdout).toContain('is refused: git reads a\nprivate parent through your credential helper');
  });
});
