{#-
  The invocation log: one row per dbt invocation run through dbt-run (the
  command, selection, status, exit code and node counts), written even when
  dbt crashed before it could report. Like dbt_audit_log, this model only
  creates the table and adds new columns; it is never rebuilt.
-#}
{{ config(
    materialized='incremental',
    full_refresh=false,
    on_schema_change='append_new_columns',
    dist='auto',
    sort=['started_at'],
) }}

select
{%- for column in audit_invocation_columns() %}
    cast(null as {{ audit_sql_type(column.type) }}) as {{ column.name }}{{ ',' if not loop.last }}
{%- endfor %}
where 1 = 0
