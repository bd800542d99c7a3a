export { auditTablesFor } from '../audit/tables.js';
export { main } from './cli.js';
export { outcomeOf } from './execute.js';
export { normaliseRunOptions, parseVars, RUNNER_COMMANDS } from './options.js';
export { applyEvent, emptyProgress, progressLine } from './progress.js';
export type { RunReport, RunReporter } from './reporters.js';
export { JsonReporter, PlainReporter, TtyReporter } from './reporters.js';
export { runInvocation } from './runner.js';
export type { RunDependencies, RunOptions, RunOutcome } from './types.js';
