/**
 * uv for the harness's own venvs: installed with pip into a venv of its own
 * (test/requirements/uv.txt, cached like the others), then put first on the
 * PATH that ensureVenv gets, which then installs with uv (src/toolchain/uv.ts
 * carries pip's index and certificate settings over). It builds the same pinned
 * packages into the same venvs in seconds rather than minutes. Only the
 * harness's builds get it: the product's own tests keep the environment they
 * were given. When uv cannot be installed, the venvs are built with pip.
 */
import path from 'node:path';
import { ensureVenv } from '../../src/toolchain/venv.js';

/** The environment to build the harness's venvs with: uv on its PATH, or as given when uv is not to be had. */
export async function uvEnv(options: {
  requirementsFile: string;
  onProgress: (line: string) => void;
  env?: NodeJS.ProcessEnv;
}): Promise<NodeJS.ProcessEnv> {
  const env = options.env ?? process.env;
  if (env.DBT_PRODUCT_KIT_NO_UV) return env;
  try {
    const venv = await ensureVenv({
      requirementsFile: options.requirementsFile,
      name: 'uv',
      onProgress: options.onProgress,
      env: { ...env, DBT_PRODUCT_KIT_NO_UV: '1' },
    });
    return { ...env, PATH: [path.dirname(venv.bin('uv')), env.PATH].filter(Boolean).join(path.delimiter) };
  } catch (error) {
    options.onProgress(`uv could not be installed, building with pip: ${(error as Error).message}`);
    return env;
  }
}
