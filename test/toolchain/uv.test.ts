/**
 * Building a venv with uv (src/toolchain/uv.ts): pip's settings carried over to
 * uv, and a real uv (the harness's, test/harness/uv.ts) installing from where
 * pip is told to, the same packages pip installs, with their bytecode compiled.
 */
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parsePipConfigList, planUvInstall } from '../../src/toolchain/uv.js';
import { ensureVenv } from '../../src/toolchain/venv.js';
import { tempDir } from '../harness/product.js';

describe("uv's options from pip's configuration", () => {
  it('reads `pip config list`: PIP_* over [install] over [global], values unquoted', () => {
    const pip = parsePipConfigList(
      [
        "global.index-url='https://mirror.example/simple'",
        "install.index-url='https://install.example/simple'",
        ":env:.index-url='https://env.example/simple'",
        "global.cert='/etc/ssl/corp.pem'",
        "global.extra-index-url='https://a.example/simple\\nhttps://b.example/simple'",
        "global.trusted-host='it\\'s.example'",
        'not a setting',
      ].join('\n'),
    );
    expect(Object.fromEntries(pip)).toEqual({
      'index-url': 'https://env.example/simple',
      cert: '/etc/ssl/corp.pem',
      'extra-index-url': 'https://a.example/simple\nhttps://b.example/simple',
      'trusted-host': "it's.example",
    });
  });

  it("turns pip's indexes, wheel folders, trusted hosts, certificate, timeout and proxy into uv's", () => {
    const pip = new Map([
      ['index-url', 'https://mirror.example/simple'],
      ['extra-index-url', 'https://a.example/simple https://b.example/simple'],
      ['find-links', '/opt/wheels'],
      ['no-index', 'true'],
      ['trusted-host', 'mirror.example'],
      ['cert', '/etc/ssl/corp.pem'],
      ['default-timeout', '180'],
      ['proxy', 'http://proxy.example:3128'],
      ['disable-pip-version-check', '1'],
    ]);
    expect(planUvInstall(pip, {})).toEqual({
      args: [
        '--index-url',
        'https://mirror.example/simple',
        '--extra-index-url',
        'https://a.example/simple',
        '--extra-index-url',
        'https://b.example/simple',
        '--index-strategy',
        'unsafe-best-match',
        '--find-links',
        '/opt/wheels',
        '--no-index',
        '--allow-insecure-host',
        'mirror.example',
      ],
      env: {
        SSL_CERT_FILE: '/etc/ssl/corp.pem',
        UV_HTTP_TIMEOUT: '180',
        HTTPS_PROXY: 'http://proxy.example:3128',
        HTTP_PROXY: 'http://proxy.example:3128',
      },
    });
  });

  it("leaves alone what uv's own environment sets, and adds nothing for an unconfigured pip", () => {
    const pip = new Map([
      ['index-url', 'https://mirror.example/simple'],
      ['cert', '/etc/ssl/corp.pem'],
    ]);
    expect(planUvInstall(pip, { UV_DEFAULT_INDEX: 'https://own.example/simple', SSL_CERT_FILE: '/own.pem' })).toEqual({
      args: [],
      env: {},
    });
    expect(planUvInstall(new Map(), {})).toEqual({ args: [], env: {} });
  });
});

describe('ensureVenv with uv (real uv and pip)', () => {
  let root: string;
  beforeAll(async () => {
    root = await tempDir('uv-test-');
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('installs what pip would, from where pip is told to (PIP_FIND_LINKS, PIP_NO_INDEX), compiled', async () => {
    const uv = path.join(inject('harnessPath').split(path.delimiter)[0] ?? '', 'uv');
    expect(existsSync(uv), 'the harness installs uv').toBe(true);
    // A wheel only this folder has: neither can find it unless pip's settings reach it.
    const wheels = path.join(root, 'wheels');
    await mkdir(wheels);
    await execa('python3', ['-c', WHEEL, path.join(wheels, 'kit_uv_probe-1.0-py3-none-any.whl')]);
    const requirementsFile = path.join(root, 'requirements.txt');
    await writeFile(requirementsFile, 'kit_uv_probe==1.0\n');
    const pipSettings = { PIP_FIND_LINKS: wheels, PIP_NO_INDEX: '1' };

    const withUv = await ensureVenv({
      requirementsFile,
      cacheDir: path.join(root, 'uv'),
      env: { ...process.env, ...pipSettings, PATH: inject('harnessPath') },
    });
    const withPip = await ensureVenv({
      requirementsFile,
      cacheDir: path.join(root, 'pip'),
      env: { ...process.env, ...pipSettings, DBT_PRODUCT_KIT_NO_UV: '1' },
    });
    const freeze = async (python: string) =>
      (await execa(python, ['-m', 'pip', 'list', '--format=freeze', '--disable-pip-version-check'])).stdout;
    const packages = await freeze(withUv.bin('python'));
    expect(packages).toContain('kit_uv_probe==1.0');
    expect(packages).toBe(await freeze(withPip.bin('python')));
    // Compiled at install, as pip does (PYTHONDONTWRITEBYTECODE keeps the import below from writing it).
    const pyc = await execa(withUv.bin('python'), ['-c', PYC_PATH]);
    expect(existsSync(pyc.stdout), pyc.stdout).toBe(true);
    const imported = await execa(withUv.bin('python'), ['-c', 'import kit_uv_probe; print(kit_uv_probe.ANSWER)'], {
      env: { PYTHONDONTWRITEBYTECODE: '1' },
    });
    expect(imported.stdout).toBe('42');
  });
});

/** Where the probe module's bytecode belongs, found without importing it. */
const PYC_PATH =
  "import importlib.util, os, sysconfig; print(importlib.util.cache_from_source(os.path.join(sysconfig.get_paths()['purelib'], 'kit_uv_probe.py')))";

/** Writes a one-module wheel (argv[1]) with Python's zipfile. */
const WHEEL = `
import sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w") as wheel:
    wheel.writestr("kit_uv_probe.py", "ANSWER = 42\\n")
    info = "kit_uv_probe-1.0.dist-info/"
    wheel.writestr(info + "METADATA", "Metadata-Version: 2.1\\nName: kit_uv_probe\\nVersion: 1.0\\n")
    wheel.writestr(info + "WHEEL", "Wheel-Version: 1.0\\nGenerator: test\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n")
    wheel.writestr(info + "RECORD", "")
`;
