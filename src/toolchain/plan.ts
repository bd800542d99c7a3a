/**
 * Where the kit's venv for a requirements file lives (pure, no process or
 * lock libraries): dbt-run's start-up path needs only this.
 */
import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';

export interface VenvPlan {
  dir: string;
  hash: string;
}

/** Pure: where the venv for these requirements lives. */
export function planVenv(requirementsText: string, cacheDir: string, name = 'dbt'): VenvPlan {
  const hash = createHash('sha256').update(requirementsText).digest('hex').slice(0, 16);
  return { dir: path.join(cacheDir, 'venvs', `${name}-${hash}`), hash };
}

export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.DBT_PRODUCT_KIT_CACHE) return path.resolve(env.DBT_PRODUCT_KIT_CACHE);
  const base = env.XDG_CACHE_HOME ? path.resolve(env.XDG_CACHE_HOME) : path.join(os.homedir(), '.cache');
  return path.join(base, 'dbt-product-kit');
}
