select
    customer_id,
    first_name,
    last_name,
    lower(email) as email,
    signed_up_on
from {{ ref('raw_customers') }}
