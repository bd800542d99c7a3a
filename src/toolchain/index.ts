export { DBT_REQUIREMENTS } from './requirements.js';
export type { Venv, VenvOptions, VenvPlan } from './venv.js';
export { defaultCacheDir, ensureVenv, planVenv } from './venv.js';
