/**
 * Every message the kit publishes, by definition. A later message (or the
 * next version of one, kept beside the old while consumers move) is one more
 * entry: its JSON Schema, README fields and orchestrator field lists follow.
 */
import { PRODUCT_COMPLETED } from './product-completed.js';
import { RUN_FAILED } from './run-failed.js';

export * from './definition.js';
export * from './product-completed.js';
export * from './run-failed.js';

export const MESSAGES = [RUN_FAILED, PRODUCT_COMPLETED] as const;
