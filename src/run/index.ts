export { main } from './cli.js';
export { normaliseRunOptions, parseVars, RUNNER_COMMANDS } from './options.js';
export { applyEvent, emptyProgress, progressLine } from './progress.js';
export { auditTables } from './record.js';
export type { RunReport, RunReporter } from './reporters.js';
export { JsonReporter, PlainReporter, TtyReporter } from './reporters.js';
export type { RunDependencies, RunOptions, RunOutcome } from './runner.js';
export { outcomeOf, runInvocation } from './runner.js';
