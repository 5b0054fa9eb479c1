-- Every order with its customer_key; an order with neither a usable email nor phone goes to the
-- unresolved bucket (kept and counted, never dropped).
with orders as (
    select * from {{ ref('stg_orders__orders') }}
),

clustered as (
    select * from {{ ref('int_records_clustered') }}
)

select
    orders.order_id,
    coalesce(clustered.customer_key, {{ unresolved_customer_key() }}) as customer_key,
    clustered.customer_key is null as is_unresolved,
    orders.buyer_email_address,
    orders.buyer_phone_e164,
    orders.ordered_at,
    orders.amount,
    orders.currency,
    orders.order_status,
    orders.sales_channel
from orders
left join clustered
    on
        {{ buyer_record_key('orders.buyer_email_address', 'orders.buyer_phone_e164') }}
        = clustered.record_key
