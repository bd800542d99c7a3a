select
    order_id,
    customer_id,
    ordered_on,
    status,
    amount
from {{ ref('raw_orders') }}
