{{ config(sort=['ordered_on'], dist='customer_id') }}

select
    orders.order_id,
    orders.customer_id,
    orders.ordered_on,
    cast(orders.status as varchar(32)) as status,
    cast(orders.amount as numeric(12, 2)) as amount,
    orders.status = 'returned' as is_returned
from {{ ref('stg_orders') }} as orders
