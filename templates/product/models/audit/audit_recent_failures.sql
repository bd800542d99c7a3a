{#- Errors and failed tests of the last var('audit_failure_days') days, newest first in queries. -#}
{{ config(materialized='view') }}

select
{%- for column in audit_columns() %}
    {{ column.name }}{{ ',' if not loop.last }}
{%- endfor %}
from {{ ref('dbt_audit_log') }}
where status in ('error', 'fail', 'runtime error')
  and invocation_started_at >= {{ dbt.dateadd('day', -1 * (var('audit_failure_days') | int), dbt.current_timestamp()) }}
