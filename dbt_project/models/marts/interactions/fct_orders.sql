{{
    config(
        materialized='incremental',
        unique_key='order_id',
        incremental_strategy='merge',
        on_schema_change='append_new_columns',
        pre_hook="{% if is_incremental() %}
            delete from {{ this }} where order_id in (
                select order_id from {{ ref('stg_orders__orders') }}
                where {{ delivered_in_run('delivered_date') }} and order_status <> 'paid'
            )
        {% endif %}"
    )
}}
-- Paid orders net of refunds and cancellations (grain: order_id); definitions in
-- _interactions__models.yml. Incremental: a run merges the paid orders delivered in its days and
-- those stored under a key that is no longer a customer (merged away, or unresolved until now);
-- its pre-hook deletes the orders it received refunded or cancelled (the same order re-sent).
-- Amounts at a cross rate exact to ten decimals: an order already in the reporting currency
-- keeps its amount, and nothing is rounded twice. DECIMAL(38, 10), not (18, 10): a product of
-- two DECIMAL(18) overflows for amounts over about 10 million in DuckDB.
-- depends_on: {{ ref('stg_orders__orders') }}
-- depends_on: {{ ref('int_records_clustered') }}
with paid_orders as (
    select * from {{ ref('int_orders_resolved') }}
    where order_status = 'paid'
),

orders as (
    select * from paid_orders
    {% if is_incremental() %}
        where
            order_id in (
                select order_id from {{ ref('stg_orders__orders') }}
                where {{ delivered_in_run('delivered_date') }}
            )
            or order_id in (
                select order_id from {{ this }}
                where customer_key not in (
                    select customer_key from {{ ref('int_records_clustered') }}
                )
            )
    {% endif %}
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
-- a left join: an order without a rate keeps its row, with a null reporting_amount that fails
-- the model's not_null_columns test
left join rates on orders.currency = rates.currency
