{{ config(sort=['customer_id'], dist='customer_id') }}

with order_totals as (
    select
        customer_id,
        count(*) as order_count,
        sum(case when not is_returned then amount else 0 end) as lifetime_value,
        min(ordered_on) as first_ordered_on,
        max(ordered_on) as last_ordered_on
    from {{ ref('fct_orders') }}
    group by customer_id
)

select
    customers.customer_id,
    cast(customers.first_name as varchar(256)) as first_name,
    cast(customers.last_name as varchar(256)) as last_name,
    cast(customers.email as varchar(256)) as email,
    customers.signed_up_on,
    cast(coalesce(order_totals.order_count, 0) as integer) as order_count,
    cast(coalesce(order_totals.lifetime_value, 0) as numeric(12, 2)) as lifetime_value,
    order_totals.first_ordered_on,
    order_totals.last_ordered_on
from {{ ref('stg_customers') }} as customers
left join order_totals
    on customers.customer_id = order_totals.customer_id
