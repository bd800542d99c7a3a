{#- The latest result of every node of every product that writes to this audit table. -#}
{{ config(materialized='view') }}

with ranked as (
    select
        audit_log.*,
        row_number() over (
            partition by product_name, unique_id
            order by invocation_started_at desc, completed_at desc
        ) as recency
    from {{ ref('dbt_audit_log') }} as audit_log
)

select
{%- for column in audit_columns() %}
    {{ column.name }}{{ ',' if not loop.last }}
{%- endfor %}
from ranked
where recency = 1
