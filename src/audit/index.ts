export type {
  AuditColumn,
  AuditColumnName,
  AuditColumnType,
  AuditRow,
  InvocationColumnName,
  InvocationRow,
} from './columns.js';
export { AUDIT_COLUMNS, fitText, INVOCATION_COLUMNS, maxBytesOf, TEXT_MAX_BYTES, truncationMarker } from './columns.js';
export type { AuditTableRow } from './format.js';
export { formatAuditTable } from './format.js';
export * as auditQueries from './queries/index.js';
export * as auditReport from './report/index.js';
