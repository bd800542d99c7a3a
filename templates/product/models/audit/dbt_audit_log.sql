{#-
  The audit log: one row per executed node per dbt invocation, appended by the
  on-run-end hook (macros/audit/audit_record_results.sql) or by dbt-run.
  This model only creates the table, from a typed empty row, and adds new
  columns when the kit defines more. full_refresh=false: a --full-refresh
  must never drop the history.
  Redshift: DISTSTYLE AUTO (the table is small for a long time, then large,
  and no join key dominates analyst queries), sorted by run start because
  almost every question is "recent runs".
-#}
{{ config(
    materialized='incremental',
    full_refresh=false,
    on_schema_change='append_new_columns',
    dist='auto',
    sort=['invocation_started_at', 'unique_id'],
) }}

select
{%- for column in audit_columns() %}
    cast(null as {{ audit_sql_type(column.type) }}) as {{ column.name }}{{ ',' if not loop.last }}
{%- endfor %}
where 1 = 0
