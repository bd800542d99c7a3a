/**
 * The README's "For analysts" SQL (pure): each `dbt-run audit` question as
 * the SQL an analyst pastes, rendered from the question's own definition
 * (plan.ts analystSql), with the command that asks the same.
 */
import { ANALYST_SCHEMA, analystSql } from './plan.js';
import { QUESTIONS } from './questions.js';

export function analystQueriesMarkdown(): string {
  const sections = QUESTIONS.map((question) => {
    const command = `dbt-run audit ${question.name}${question.name === 'history' ? ' stg_orders' : ''}`;
    return [`#### ${question.question}`, '', `\`${command}\`, or:`, '', '```sql', analystSql(question), '```'].join(
      '\n',
    );
  });
  return [
    '',
    `For a target whose schema is \`analytics\` (the tables in \`${ANALYST_SCHEMA}\`), over the last 7 days by the`,
    "warehouse's clock (DuckDB and PostgreSQL; on Redshift write `getdate()` for `current_timestamp`).",
    '',
    sections.join('\n\n'),
    '',
  ].join('\n');
}
