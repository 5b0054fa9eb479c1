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
-- The compact journey state of the Markov attribution (grain: customer_key, from_state,
-- to_state); definitions in _journeys__models.yml. Per customer, the transitions between touch
-- channels over its journeys: each paid order's converting journey (its touches within
-- attribution_lookback_days before it, as the rule-based models credit them, then
-- 'conversion'), and non-converting journeys (touches no paid order follows within the
-- lookback, one journey per interval between paid orders, then 'null'). Incremental per
-- customer: a run recomputes the customers whose facts it may have changed
-- (customers_in_run_scope) from their history; its pre-hook deletes keys merged away.
-- depends_on: {{ ref('int_orders_resolved') }}
-- depends_on: {{ ref('stg_orders__orders') }}
-- depends_on: {{ ref('int_records_clustered') }}
-- depends_on: {{ ref('int_activities_resolved') }}
-- depends_on: {{ ref('int_email_events_resolved') }}
-- depends_on: {{ ref('stg_crm__activities') }}
-- depends_on: {{ ref('stg_email__events') }}
{%- set lookback_days = var('attribution_lookback_days') %}

with touches as {{ materialized_cte() }} (
    select
        interaction_id,
        customer_key,
        occurred_at,
        occurred_date,
        channel
    from {{ ref('fct_interactions') }}
    where is_touch and customer_key <> {{ unresolved_customer_key() }}
    {% if is_incremental() %}
        and customer_key in ({{ customers_in_run_scope() }})
    {% endif %}
),

orders as (
    select
        order_id,
        customer_key,
        ordered_at
    from {{ ref('fct_orders') }}
    where customer_key in (select touches.customer_key from touches)
),

converting as (
    select
        orders.order_id as journey_id,
        touches.customer_key,
        touches.occurred_at,
        touches.interaction_id,
        touches.channel,
        'conversion' as outcome
    from touches
    inner join orders
        on
            touches.customer_key = orders.customer_key
            and touches.occurred_at < orders.ordered_at
            and touches.occurred_at
            >= {{ dbt.dateadd('day', -lookback_days, 'orders.ordered_at') }}
),

timeline as (
    select
        customer_key,
        occurred_at,
        interaction_id,
        channel,
        false as is_order
    from touches
    union all
    select
        customer_key,
        ordered_at as occurred_at,
        order_id as interaction_id,
        cast(null as {{ dbt.type_string() }}) as channel,
        true as is_order
    from orders
),

after_orders as (
    select
        *,
        -- an order at the very time of a touch sorts before it: the touch comes after it
        max(case when is_order then occurred_at end) over (
            partition by customer_key
            order by occurred_at asc, is_order desc
            rows between unbounded preceding and current row
        ) as previous_order_at
    from timeline
),

not_converting as (
    -- a touch no paid order follows within the lookback; its journey runs from the customer's
    -- previous paid order (or the start of its history) to the next one
    select
        concat(
            customer_key, '|after|',
            coalesce(cast(previous_order_at as {{ dbt.type_string() }}), 'start')
        ) as journey_id,
        customer_key,
        occurred_at,
        interaction_id,
        channel,
        'null' as outcome
    from after_orders
    where
        not is_order
        and interaction_id not in (select converting.interaction_id from converting)
),

journey_touches as (
    select * from converting
    union all
    select * from not_converting
),

sequenced as (
    select
        customer_key,
        channel,
        outcome,
        lag(channel) over (
            partition by journey_id order by occurred_at, interaction_id
        ) as previous_channel,
        lead(channel) over (
            partition by journey_id order by occurred_at, interaction_id
        ) as next_channel
    from journey_touches
),

steps as (
    select
        customer_key,
        'start' as from_state,
        channel as to_state
    from sequenced
    where previous_channel is null
    union all
    select
        customer_key,
        channel as from_state,
        coalesce(next_channel, outcome) as to_state
    from sequenced
),

latest as (
    select
        customer_key,
        max(occurred_date) as last_touch_date
    from touches
    group by customer_key
),

customers as (
    {{ customer_record_counts() }}
)

select
    {{ hash_columns(['steps.customer_key', 'steps.from_state', 'steps.to_state']) }}
        as customer_transition_id,
    steps.customer_key,
    steps.from_state,
    steps.to_state,
    cast(count(*) as {{ dbt.type_bigint() }}) as transitions,
    max(latest.last_touch_date) as last_touch_date,
    max(customers.customer_records) as customer_records
from steps
inner join latest on steps.customer_key = latest.customer_key
left join customers
    on steps.customer_key = customers.customer_key
group by steps.customer_key, steps.from_state, steps.to_state
