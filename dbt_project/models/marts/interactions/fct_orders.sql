-- Paid orders net of refunds and cancellations (grain: order_id): an order whose latest state is
-- refunded or cancelled is not here (it stays in int_orders_resolved). Amounts are also given in
-- CNY through the editable currency_rates seed.
with orders as (
    select * from {{ ref('int_orders_resolved') }}
),

rates as (
    select * from {{ ref('currency_rates') }}
)

select
    orders.order_id,
    orders.customer_key,
    orders.is_unresolved,
    orders.ordered_at,
    {{ utc_to_local_date('orders.ordered_at') }} as order_date,
    orders.amount,
    orders.currency,
    cast(orders.amount * rates.rate_to_cny as decimal(18, 2)) as amount_cny,
    orders.sales_channel
from orders
inner join rates on orders.currency = rates.currency
where orders.order_status = 'paid'
