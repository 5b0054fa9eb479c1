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
-- depends_on: {{ ref('stg_orders__orders') }}
-- depends_on: {{ ref('int_records_clustered') }}
with orders as (
    select * from {{ ref('int_orders_resolved') }}
    where
        order_status = 'paid'
    {% if is_incremental() %}
            and (
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
            )
        {% endif %}
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
