/**
 * The audit questions (`dbt-run audit runs|failures|slowest|history|flaky|freshness`)
 * as a library: definitions, planning per dialect, asking through a sink, rendering.
 * Reports build on ask() and its typed rows.
 */
export { analystQueriesMarkdown } from './analyst.js';
export { type Answer, type AskOptions, type AuditReader, AuditTableMissingError, ask } from './ask.js';
export { decodeRows, type RawValue } from './decode.js';
export {
  analystSql,
  DEFAULT_TOP,
  type PlannedQuery,
  planQuestion,
  type QueryParameter,
  type QueryRequest,
  type QueryTarget,
  selectedColumns,
} from './plan.js';
export {
  FAILURES,
  type FailuresRow,
  FLAKY,
  type FlakyRow,
  FRESHNESS,
  type FreshnessRow,
  HISTORY,
  type HistoryRow,
  QUESTIONS,
  type QuestionDefinition,
  type QuestionName,
  type ResultColumn,
  type ResultRow,
  type ResultType,
  RUNS,
  type RunsRow,
  SLOWEST,
  type SlowestRow,
  TESTED_RESOURCE_TYPES,
  TIMED_RESOURCE_TYPES,
} from './questions.js';
export {
  OUTPUT_FORMATS,
  type OutputFormat,
  parseFormat,
  renderCsv,
  renderJson,
  renderRows,
  renderTable,
} from './render.js';
export {
  type AuditWindow,
  auditWindow,
  DEFAULT_SINCE,
  humanTime,
  parseSince,
  parseTop,
  timestampText,
} from './window.js';
