{#- Daily run time of every successful model, with the change against its previous day. -#}
{{ config(materialized='view') }}

with daily as (
    select
        product_name,
        unique_id,
        name,
        model_execution_date,
        count(*) as runs,
        avg(execution_time) as avg_execution_time,
        max(execution_time) as max_execution_time,
        sum(rows_affected) as rows_affected
    from {{ ref('dbt_audit_log') }}
    where resource_type = 'model'
      and status = 'success'
    group by product_name, unique_id, name, model_execution_date
)

select
    daily.*,
    avg_execution_time - lag(avg_execution_time) over (
        partition by product_name, unique_id
        order by model_execution_date
    ) as avg_execution_time_change
from daily
