/**
 * The Python venv the kit runs dbt from. It is built from a pinned
 * requirements file and cached under a directory named by the file's hash,
 * so an unchanged file reuses the venv and an edited one gets a fresh venv.
 * Venvs are not relocatable (scripts hold absolute paths), so each build gets a
 * folder of its own that never moves; the venv's path is a symlink to the
 * finished folder, switched atomically, and a stamp file written last marks it
 * complete. A lock per venv (./lock.ts) makes concurrent callers build once.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { ToolchainError } from '../errors.js';
import { lockVenv } from './lock.js';
import { defaultCacheDir, planVenv, type VenvPlan } from './plan.js';
import { DBT_REQUIREMENTS } from './requirements.js';
import { planUvInstall, readPipConfig } from './uv.js';

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

/** An executable in the venv at `dir`. */
function binPath(dir: string, name: string): string {
  return path.join(dir, process.platform === 'win32' ? 'Scripts' : 'bin', name);
}

function venvFrom(plan: VenvPlan, built: boolean): Venv {
  return { dir: plan.dir, hash: plan.hash, built, bin: (name) => binPath(plan.dir, name) };
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
  // Several callers (test workers, a demo and a test run, the venvs of one test setup) may ask at
  // once: one builds, the others wait for the lock and then find the stamp.
  const lock = await lockVenv(plan.dir, () => progress(`waiting for another process building ${plan.dir}`));
  try {
    if (await isComplete(plan)) return venvFrom(plan, false);
    await checkPython(python);
    await removeUnpublished(plan);
    // Built in a folder of its own and published by an atomic rename of a symlink: a build that
    // fails or is killed (even one whose pip outlives us) never touches the path callers trust.
    // The folder itself never moves, because a venv's scripts hold its absolute path.
    const buildDir = path.join(path.dirname(plan.dir), `.${path.basename(plan.dir)}.${randomBytes(4).toString('hex')}`);
    progress(`creating Python venv ${plan.dir}`);
    const started = Date.now();
    try {
      await install(python, buildDir, requirementsFile, env, progress);
    } catch (cause) {
      await rm(buildDir, { recursive: true, force: true });
      const detail = lastLine((cause as { stderr?: string }).stderr) ?? (cause as Error).message;
      throw new ToolchainError(`installing the dbt toolchain failed: ${detail}`, { cause });
    }
    await writeFile(path.join(buildDir, STAMP), `${plan.hash}\n`);
    if (lock.compromised) {
      await rm(buildDir, { recursive: true, force: true });
      throw new ToolchainError(`lost the lock on ${plan.dir} while building it; run again`, {
        cause: lock.compromised,
      });
    }
    await publish(buildDir, plan.dir);
    progress(`built ${plan.dir} in ${Math.round((Date.now() - started) / 1000)} s`);
    return venvFrom(plan, true);
  } finally {
    await lock.release();
  }
}

async function install(
  python: string,
  dir: string,
  requirementsFile: string,
  env: NodeJS.ProcessEnv,
  progress: (line: string) => void,
): Promise<void> {
  const venvPython = binPath(dir, 'python');
  // The same venv either way (pip and setuptools as the interpreter bundles them, which an unpinned
  // requirement may be satisfied by), so uv and pip install the same packages from the same file.
  await execa(python, ['-m', 'venv', dir], { env });
  const uv = await findUv(env);
  if (uv) {
    progress(`installing ${requirementsFile} with uv`);
    const plan = planUvInstall(await readPipConfig(venvPython, env), env);
    // Compiled as pip compiles them: with PYTHONDONTWRITEBYTECODE set, every start would compile again.
    await execa(
      uv,
      ['pip', 'install', '--quiet', '--compile-bytecode', ...plan.args, '--python', venvPython, '-r', requirementsFile],
      { env: { ...env, ...plan.env } },
    );
    return;
  }
  progress(`installing ${requirementsFile} with pip (a minute or two, once)`);
  await execa(venvPython, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '-r', requirementsFile], {
    env,
  });
}

/**
 * Removes what earlier builds of this venv left: the build folders of builders that failed or were
 * killed, an unfinished venv published before (its stamp gone), or one built in place by an older
 * kit. Called under the lock, when the published venv (if any) is known incomplete.
 */
async function removeUnpublished(plan: VenvPlan): Promise<void> {
  const folder = path.dirname(plan.dir);
  const prefix = `.${path.basename(plan.dir)}.`;
  const leftovers = (await readdir(folder)).filter((entry) => entry.startsWith(prefix));
  // A leftover may still be written by an orphaned pip: removing it is best effort.
  await Promise.all(
    leftovers.map((entry) => rm(path.join(folder, entry), { recursive: true, force: true }).catch(() => {})),
  );
  await rm(plan.dir, { recursive: true, force: true });
}

/** Points `dir` at the finished venv in `buildDir` in one step (rename replaces a symlink atomically). */
async function publish(buildDir: string, dir: string): Promise<void> {
  const link = `${dir}.link-${randomBytes(4).toString('hex')}`;
  // 'junction' is how Windows links a folder without admin rights; other systems ignore the type.
  await symlink(buildDir, link, 'junction');
  try {
    await rename(link, dir);
  } catch (cause) {
    await rm(link, { force: true });
    throw new ToolchainError(`cannot publish the venv at ${dir}: ${(cause as Error).message}`, { cause });
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
