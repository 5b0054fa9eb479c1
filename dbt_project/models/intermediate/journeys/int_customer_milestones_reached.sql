{{
    config(
        materialized='incremental',
        unique_key='customer_key',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
        pre_hook="{% if is_incremental() %}
            delete from {{ this }} where customer_key not in (
                select customer_key from {{ ref('int_records_clustered') }}
            )
        {% endif %}"
    )
}}
-- The compact per-customer state of the funnel (grain: customer_key, customers with an outbound
-- touch); definitions in _journeys__models.yml. Incremental per customer: a run recomputes the
-- customers whose facts it may have changed (customers_in_run_scope) from their history; its
-- pre-hook deletes keys merged away.
-- depends_on: {{ ref('int_orders_resolved') }}
-- depends_on: {{ ref('stg_orders__orders') }}
-- depends_on: {{ ref('int_records_clustered') }}
-- depends_on: {{ ref('int_activities_resolved') }}
-- depends_on: {{ ref('int_email_events_resolved') }}
-- depends_on: {{ ref('stg_crm__activities') }}
-- depends_on: {{ ref('stg_email__events') }}

with interactions as {{ materialized_cte() }} (
    select
        interaction_id,
        customer_key,
        occurred_at,
        occurred_date,
        channel,
        is_touch,
        is_response
    from {{ ref('fct_interactions') }}
    where customer_key <> {{ unresolved_customer_key() }}
    {% if is_incremental() %}
        and customer_key in ({{ customers_in_run_scope() }})
    {% endif %}
),

latest as (
    select
        customer_key,
        max(occurred_date) as last_interaction_date
    from interactions
    group by customer_key
),

first_touch_channels as (
    -- the first touch's channel; of simultaneous first touches, the first by interaction_id
    select
        customer_key,
        occurred_at as first_touch_at,
        channel as first_touch_channel,
        row_number() over (
            partition by customer_key order by occurred_at, interaction_id
        ) as touch_number
    from interactions
    where is_touch
),

responses as (
    select
        first_touch_channels.customer_key,
        min(interactions.occurred_at) as first_response_at
    from first_touch_channels
    inner join interactions
        on
            first_touch_channels.customer_key = interactions.customer_key
            and first_touch_channels.first_touch_at < interactions.occurred_at
    where first_touch_channels.touch_number = 1 and interactions.is_response
    group by first_touch_channels.customer_key
),

paid_orders as (
    select
        first_touch_channels.customer_key,
        orders.ordered_at,
        row_number() over (
            partition by orders.customer_key order by orders.ordered_at, orders.order_id
        ) as order_number
    from first_touch_channels
    inner join {{ ref('fct_orders') }} as orders
        on
            first_touch_channels.customer_key = orders.customer_key
            and first_touch_channels.first_touch_at < orders.ordered_at
    where first_touch_channels.touch_number = 1
),

customers as (
    {{ customer_record_counts() }}
)

select
    first_touch_channels.customer_key,
    first_touch_channels.first_touch_at,
    first_touch_channels.first_touch_channel,
    -- a paid order is a response too (fct_orders may hold an order fct_interactions has not)
    least(responses.first_response_at, first_orders.ordered_at) as first_response_at,
    first_orders.ordered_at as first_paid_order_at,
    second_orders.ordered_at as second_paid_order_at,
    latest.last_interaction_date,
    customers.customer_records
from first_touch_channels
inner join latest on first_touch_channels.customer_key = latest.customer_key
left join responses on first_touch_channels.customer_key = responses.customer_key
left join paid_orders as first_orders
    on
        first_touch_channels.customer_key = first_orders.customer_key
        and first_orders.order_number = 1
left join paid_orders as second_orders
    on
        first_touch_channels.customer_key = second_orders.customer_key
        and second_orders.order_number = 2
left join customers
    on first_touch_channels.customer_key = customers.customer_key
where first_touch_channels.touch_number = 1
