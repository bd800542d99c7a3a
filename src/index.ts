export * from './audit/index.js';
export * from './errors.js';
// The SNS messages' definitions (zod) and types, and the JSON Schemas generated from them, for consumers.
export {
  MESSAGES,
  PRODUCT_COMPLETED,
  type ProductCompleted,
  productCompletedSchema,
  RUN_FAILED,
  type RunFailed,
  runFailedSchema,
} from './messages/index.js';
export * from './product/manifest.js';
export * from './scaffold/index.js';
export { kitSchemas, MANIFEST_SCHEMA_PATH, messageSchemaPath } from './schemas/json-schema.js';
export * from './toolchain/index.js';
export { kitVersion } from './version.js';
export * from './warehouse/index.js';
