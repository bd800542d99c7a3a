export type { AuditColumn, AuditColumnName, AuditColumnType, AuditRow } from './columns.js';
export { AUDIT_COLUMNS, fitText, TEXT_MAX_BYTES, truncationMarker } from './columns.js';
export type { AuditTableRow } from './format.js';
export { formatAuditTable } from './format.js';
