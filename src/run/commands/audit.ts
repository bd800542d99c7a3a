/**
 * The questions of `dbt-run audit` (runs, failures, slowest, history, flaky,
 * freshness), one spec each, made from their definitions in
 * src/audit/queries/questions.ts: the same options everywhere, plus --top
 * for slowest and the node for history.
 */
import type { Command } from 'commander';
import { DEFAULT_TOP } from '../../audit/queries/plan.js';
import { QUESTIONS, type QuestionDefinition } from '../../audit/queries/questions.js';
import { DEFAULT_SINCE } from '../../audit/queries/window.js';
import type { AuditQueryFlags } from '../options.js';
import { auditRedshiftOptions, projectOptions } from './flags.js';
import type { CommandSpec } from './spec.js';

function questionOptions(command: Command, question: QuestionDefinition): Command {
  if (question.name === 'history')
    command.argument('<node>', 'a unique_id (model.shop.orders) or a node name (orders)');
  command
    .option('--since <duration>', 'look back this far: 30m, 24h, 7d, 2w', DEFAULT_SINCE)
    .option('--product <name>', 'only runs of this data product')
    .option('--env <target>', "only runs on this dbt target (the rows' target_name)");
  if (question.name === 'slowest') command.option('--top <n>', 'how many nodes', String(DEFAULT_TOP));
  command.option('--format <format>', 'table (aligned, for people), json or csv', 'table');
  return auditRedshiftOptions(projectOptions(command));
}

const HELP = [
  '',
  'Reads the audit tables of the target (-t, as dbt picks it) through the sink dbt-run',
  'writes them with: DuckDB, Postgres, or Redshift through the Data API (--audit-*).',
  'Times are UTC. The same SQL, ready to run, is in the README ("For analysts").',
  'Exit codes: 0 answered (also when nothing matched: a line says so); 2 bad input,',
  'no audit table (the line says what creates it), or the warehouse could not be read.',
].join('\n');

function questionSpec(question: QuestionDefinition): CommandSpec<AuditQueryFlags> {
  return {
    name: question.name,
    summary: question.summary,
    define: (command) => {
      questionOptions(command, question).addHelpText(
        'after',
        `\nColumns: ${question.columns.map((column) => column.name).join(', ')}.${HELP}`,
      );
    },
    run: async ({ args, flags, io }) =>
      (await import('../audit-queries.js')).runAuditQuestion(question.name, args, flags, io),
  };
}

/** One command per audit question, in the README's order. */
export const AUDIT_QUESTION_COMMANDS: readonly CommandSpec<AuditQueryFlags>[] = QUESTIONS.map(questionSpec);
