export * from './audit/index.js';
export * from './errors.js';
export * from './product/manifest.js';
export * from './scaffold/index.js';
export * from './toolchain/index.js';
export { kitVersion } from './version.js';
export * from './warehouse/index.js';
