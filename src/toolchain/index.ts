export type { Venv, VenvOptions, VenvPlan } from './venv.js';
export { DBT_REQUIREMENTS, defaultCacheDir, ensureVenv, planVenv, venvExists } from './venv.js';
