/**
 * Finding the dbt executable, in order: --dbt-path, $DBT_PATH,
 * <project>/.venv/bin/dbt, the kit's managed venv (dbt-run setup), then PATH.
 * The version is read from the venv's package metadata next to the
 * executable, so no extra Python process starts (dbt takes a second to
 * import); dbt's own MainReportVersion event confirms it at run time.
 */
import { constants, existsSync, readdirSync } from 'node:fs';
import { access, readFile } from 'node:fs/promises';
import path from 'node:path';
import { KitError } from '../errors.js';
import { defaultCacheDir, planVenv } from '../toolchain/plan.js';
import { DBT_REQUIREMENTS } from '../toolchain/requirements.js';

export const MIN_DBT_VERSION: [number, number] = [1, 8];

export class DbtNotFoundError extends KitError {
  constructor(message: string) {
    super(message, { exitCode: 2 });
  }
}

export interface LocatedDbt {
  path: string;
  /** Where it was found: flag, DBT_PATH, project venv, kit venv, PATH. */
  source: string;
  /** dbt-core version from the venv's metadata, when found. */
  version: string | undefined;
}

export interface LocateOptions {
  dbtPath?: string | undefined;
  projectDir: string;
  env?: NodeJS.ProcessEnv;
}

async function isExecutable(file: string): Promise<boolean> {
  try {
    await access(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** dbt-core's version from `<venv>/lib/python3.*\/site-packages/dbt_core-X.dist-info`. */
export function venvDbtVersion(executable: string): string | undefined {
  const lib = path.join(path.dirname(path.dirname(executable)), 'lib');
  if (!existsSync(lib)) return undefined;
  for (const python of readdirSync(lib)) {
    const sitePackages = path.join(lib, python, 'site-packages');
    if (!existsSync(sitePackages)) continue;
    const distInfo = readdirSync(sitePackages).find((entry) => /^dbt_core-.+\.dist-info$/.test(entry));
    if (distInfo) return /^dbt_core-(.+)\.dist-info$/.exec(distInfo)?.[1];
  }
  return undefined;
}

export function isSupportedVersion(version: string): boolean {
  const [major = 0, minor = 0] = version.split('.').map((part) => Number.parseInt(part, 10));
  return major > MIN_DBT_VERSION[0] || (major === MIN_DBT_VERSION[0] && minor >= MIN_DBT_VERSION[1]);
}

export async function locateDbt(options: LocateOptions): Promise<LocatedDbt> {
  const env = options.env ?? process.env;
  const candidates: { path: string; source: string; explicit: boolean }[] = [];
  if (options.dbtPath) candidates.push({ path: path.resolve(options.dbtPath), source: '--dbt-path', explicit: true });
  if (env.DBT_PATH) candidates.push({ path: path.resolve(env.DBT_PATH), source: 'DBT_PATH', explicit: true });
  candidates.push({
    path: path.join(options.projectDir, '.venv', 'bin', 'dbt'),
    source: 'project venv',
    explicit: false,
  });
  const kitVenv = planVenv(await readFile(DBT_REQUIREMENTS, 'utf8'), defaultCacheDir(env));
  candidates.push({ path: path.join(kitVenv.dir, 'bin', 'dbt'), source: 'kit venv', explicit: false });
  for (const dir of (env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    candidates.push({ path: path.join(dir, 'dbt'), source: 'PATH', explicit: false });
  }

  for (const candidate of candidates) {
    if (await isExecutable(candidate.path)) {
      const version = venvDbtVersion(candidate.path);
      if (version && !isSupportedVersion(version)) {
        throw new DbtNotFoundError(
          `dbt ${version} at ${candidate.path} is too old: dbt-run needs dbt-core ${MIN_DBT_VERSION.join('.')} or later (run dbt-run setup)`,
        );
      }
      return { path: candidate.path, source: candidate.source, version };
    }
    if (candidate.explicit) {
      throw new DbtNotFoundError(
        `dbt not found at ${candidate.path} (from ${candidate.source}): fix the path or run dbt-run setup`,
      );
    }
  }
  throw new DbtNotFoundError('dbt not found: run dbt-run setup (or pass --dbt-path, or set DBT_PATH)');
}
