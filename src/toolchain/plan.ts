/**
 * Where the kit's venv for a requirements file lives (pure, no process or
 * lock libraries): dbt-run's start-up path needs only this.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';

export { defaultCacheDir } from './cache-dir.js';

export interface VenvPlan {
  dir: string;
  hash: string;
}

/** Pure: where the venv for these requirements lives. */
export function planVenv(requirementsText: string, cacheDir: string, name = 'dbt'): VenvPlan {
  const hash = createHash('sha256').update(requirementsText).digest('hex').slice(0, 16);
  return { dir: path.join(cacheDir, 'venvs', `${name}-${hash}`), hash };
}
