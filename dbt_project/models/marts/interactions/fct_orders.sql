-- Paid orders net of refunds and cancellations (grain: order_id): an order whose latest state is
-- refunded or cancelled is not here (it stays in int_orders_resolved). Amounts are also given in
-- the reporting currency (var reporting_currency) through the editable currency_rates seed, at
-- a cross rate exact to ten decimals: an order already in the reporting currency keeps its
-- amount, and nothing is rounded twice. DECIMAL(38, 10), not (18, 10): a product of two
-- DECIMAL(18) overflows for amounts over about 10 million in DuckDB.
with orders as (
    select * from {{ ref('int_orders_resolved') }}
),

rates as (
    select
        currency,
        cast(
            rate_to_cny / (
                select reporting.rate_to_cny
                from {{ ref('currency_rates') }} as reporting
                where reporting.currency = '{{ var("reporting_currency") }}'
            ) as decimal(38, 10)
        ) as rate_to_reporting
    from {{ ref('currency_rates') }}
)

select
    orders.order_id,
    orders.customer_key,
    orders.is_unresolved,
    orders.ordered_at,
    {{ utc_to_local_date('orders.ordered_at') }} as order_date,
    orders.amount,
    orders.currency,
    cast(orders.amount * rates.rate_to_reporting as {{ exact_decimal_type() }}) as reporting_amount,
    orders.sales_channel
from orders
-- a left join: an order without a rate keeps its row and fails the not_null test of its amount
left join rates on orders.currency = rates.currency
where orders.order_status = 'paid'
