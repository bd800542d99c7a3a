/**
 * What the MWAA Serverless workflow and dbt-run agree on. The workflow runs
 * `dbt-run build --alerted-exit-code <code>` in the product's container and
 * gives its EcsRunTaskOperator `skip_on_exit_code: [<code>]`: a failure
 * dbt-run has alerted about skips the task, so the workflow's own alert
 * (trigger rule one_failed) fires only for a failure nobody was told about.
 */
export const SERVERLESS_ALERTED_EXIT_CODE = 99;
