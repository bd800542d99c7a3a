/**
 * Where the kit keeps what it makes once and reuses (the pinned Python venvs,
 * Node's compiled modules): one folder, so a CI cache of it (the kit's
 * action caches ~/.cache/dbt-product-kit) carries all of it to the next job.
 * A module of its own, importing nothing heavy: the CLIs read it before
 * anything else loads.
 */
import os from 'node:os';
import path from 'node:path';

export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.DBT_PRODUCT_KIT_CACHE) return path.resolve(env.DBT_PRODUCT_KIT_CACHE);
  const base = env.XDG_CACHE_HOME ? path.resolve(env.XDG_CACHE_HOME) : path.join(os.homedir(), '.cache');
  return path.join(base, 'dbt-product-kit');
}

/**
 * Node's compile cache (22.1+): the kit's modules compiled by an earlier run
 * load about twice as fast, a few tenths of a second off every dbt-run
 * before dbt starts. Node's default place is the temp folder, empty on each
 * fresh CI machine; the kit's cache folder is kept by the CI cache.
 */
export function compileCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(defaultCacheDir(env), 'node-compile-cache');
}
