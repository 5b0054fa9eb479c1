-- Every order with its customer_key; an order with neither a usable email nor phone goes to the
-- unresolved bucket (kept and counted, never dropped).
-- Incremental (delete+insert on order_id): a run resolves the orders it staged (new orders and
-- new states of earlier ones), and re-keys the earlier ones whose buyer changed customer.
-- Each row carries the run that wrote it (computed_for_run_day), and a daily run's tests check
-- those rows; on a table built before the column, the column is appended, null on older rows.
{{ config(unique_key='order_id', on_schema_change='append_new_columns') }}
-- depends_on: {{ ref('int_records_relabelled') }}

with staged as (
    select
        order_id,
        buyer_email_address,
        buyer_phone_e164,
        ordered_at,
        amount,
        currency,
        order_status,
        sales_channel
    from {{ ref('stg_orders__orders') }}
    {%- if is_incremental_run() %}
        where {{ changed_in_run('delivered_date') }}
    {%- endif %}
),

{% if is_incremental_run() -%}
    rekeyed as (
        select
            existing.order_id,
            existing.buyer_email_address,
            existing.buyer_phone_e164,
            existing.ordered_at,
            existing.amount,
            existing.currency,
            existing.order_status,
            existing.sales_channel
        from {{ this }} as existing
        inner join {{ ref('int_records_relabelled') }} as relabelled
            on
                {{ buyer_record_key('existing.buyer_email_address', 'existing.buyer_phone_e164') }}
                = relabelled.record_key
        where
            existing.customer_key <> relabelled.customer_key
            and existing.order_id not in (select order_id from staged)
    ),

    orders as (
        select * from staged
        union all
        select * from rekeyed
    ),
{%- else -%}
    orders as (
        select * from staged
    ),
{%- endif %}

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
    orders.sales_channel,
    {{ run_day_marker() }} as computed_for_run_day
from orders
left join clustered
    on
        {{ buyer_record_key('orders.buyer_email_address', 'orders.buyer_phone_e164') }}
        = clustered.record_key
