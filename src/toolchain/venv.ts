/**
 * The Python venv the kit runs dbt from. It is built from a pinned
 * requirements file and cached under a directory named by the file's hash,
 * so an unchanged file reuses the venv and an edited one gets a fresh venv.
 * Venvs are not relocatable (scripts hold absolute paths), so we build in the
 * final place under a lock and mark completion with a stamp file last.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import lockfile from 'proper-lockfile';
import { ToolchainError } from '../errors.js';
import { defaultCacheDir, planVenv, type VenvPlan } from './plan.js';
import { DBT_REQUIREMENTS } from './requirements.js';

export { defaultCacheDir, planVenv, type VenvPlan } from './plan.js';

const STAMP = '.dbt-product-kit-complete';
const MIN_PYTHON: [number, number] = [3, 10];

export interface VenvOptions {
  /** Pinned requirements to install. Default: the kit's `requirements/dbt.txt`. */
  requirementsFile?: string;
  /** Where venvs live. Default: `$DBT_PRODUCT_KIT_CACHE`, else `$XDG_CACHE_HOME/dbt-product-kit`, else `~/.cache/dbt-product-kit`. */
  cacheDir?: string;
  /** Python interpreter to build from. Default: `$DBT_PRODUCT_KIT_PYTHON`, else `python3`. */
  python?: string;
  /** Prefix of the venv's directory name. Default: `dbt`. */
  name?: string;
  /** Receives one line per step, for progress output. */
  onProgress?: (line: string) => void;
  env?: NodeJS.ProcessEnv;
}

export interface Venv {
  /** Absolute path of the venv. */
  dir: string;
  /** Hash of the requirements it was built from (first 16 hex digits of sha256). */
  hash: string;
  /** True when this call built it, false when it was reused. */
  built: boolean;
  /** Absolute path of an executable inside the venv's `bin/`. */
  bin(name: string): string;
}

function venvFrom(plan: VenvPlan, built: boolean): Venv {
  const binDir = path.join(plan.dir, process.platform === 'win32' ? 'Scripts' : 'bin');
  return { dir: plan.dir, hash: plan.hash, built, bin: (name) => path.join(binDir, name) };
}

/** Returns the venv for the requirements, building it first when missing or incomplete. */
export async function ensureVenv(options: VenvOptions = {}): Promise<Venv> {
  const env = options.env ?? process.env;
  const requirementsFile = path.resolve(options.requirementsFile ?? DBT_REQUIREMENTS);
  const cacheDir = options.cacheDir ?? defaultCacheDir(env);
  const python = options.python ?? env.DBT_PRODUCT_KIT_PYTHON ?? 'python3';
  const progress = options.onProgress ?? (() => {});

  let requirementsText: string;
  try {
    requirementsText = await readFile(requirementsFile, 'utf8');
  } catch (cause) {
    throw new ToolchainError(`cannot read requirements file ${requirementsFile}`, { cause });
  }
  const plan = planVenv(requirementsText, cacheDir, options.name);
  if (await isComplete(plan)) return venvFrom(plan, false);

  await mkdir(path.dirname(plan.dir), { recursive: true });
  // Several processes (test workers, a demo and a test run) may ask at once:
  // one builds, the others wait for the lock and then find the stamp.
  const release = await lockfile.lock(path.dirname(plan.dir), {
    lockfilePath: `${plan.dir}.lock`,
    stale: 60_000,
    retries: { retries: 1200, minTimeout: 500, maxTimeout: 1000, factor: 1 },
  });
  try {
    if (await isComplete(plan)) return venvFrom(plan, false);
    await checkPython(python);
    await rm(plan.dir, { recursive: true, force: true });
    progress(`creating Python venv ${plan.dir}`);
    const uv = await findUv(env);
    const venv = venvFrom(plan, true);
    try {
      if (uv) {
        await execa(uv, ['venv', '--quiet', '--python', python, plan.dir], { env });
        progress(`installing ${requirementsFile} with uv`);
        await execa(uv, ['pip', 'install', '--quiet', '--python', venv.bin('python'), '-r', requirementsFile], { env });
      } else {
        await execa(python, ['-m', 'venv', plan.dir], { env });
        progress(`installing ${requirementsFile} with pip (a minute or two, once)`);
        await execa(
          venv.bin('python'),
          ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '-r', requirementsFile],
          { env },
        );
      }
    } catch (cause) {
      await rm(plan.dir, { recursive: true, force: true });
      const detail = lastLine((cause as { stderr?: string }).stderr) ?? (cause as Error).message;
      throw new ToolchainError(`installing the dbt toolchain failed: ${detail}`, { cause });
    }
    await writeFile(path.join(plan.dir, STAMP), `${plan.hash}\n`);
    return venv;
  } finally {
    await release();
  }
}

async function isComplete(plan: VenvPlan): Promise<boolean> {
  try {
    return (await readFile(path.join(plan.dir, STAMP), 'utf8')).trim() === plan.hash;
  } catch {
    return false;
  }
}

async function findUv(env: NodeJS.ProcessEnv): Promise<string | undefined> {
  if (env.DBT_PRODUCT_KIT_NO_UV) return undefined;
  try {
    await execa('uv', ['--version'], { env });
    return 'uv';
  } catch {
    return undefined;
  }
}

async function checkPython(python: string): Promise<void> {
  let version: string;
  try {
    const { stdout } = await execa(python, ['-c', 'import sys; print("%d.%d" % sys.version_info[:2])']);
    version = stdout.trim();
  } catch (cause) {
    throw new ToolchainError(
      `${python} was not found: install Python ${MIN_PYTHON.join('.')} or later, or set DBT_PRODUCT_KIT_PYTHON`,
      { cause, command: python },
    );
  }
  const [major = 0, minor = 0] = version.split('.').map(Number);
  if (major < MIN_PYTHON[0] || (major === MIN_PYTHON[0] && minor < MIN_PYTHON[1])) {
    throw new ToolchainError(
      `${python} is Python ${version}; dbt needs ${MIN_PYTHON.join('.')} or later (set DBT_PRODUCT_KIT_PYTHON)`,
      { command: python },
    );
  }
}

function lastLine(text: string | undefined): string | undefined {
  return text
    ?.trim()
    .split('\n')
    .filter((line) => line.trim())
    .at(-1);
}
