{{
    config(
        materialized='incremental',
        unique_key='order_id',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
        pre_hook="{% if is_incremental() %}
            delete from {{ this }} where order_id in ({{ orders_unpaid_in_run() }})
        {% endif %}"
    )
}}
-- The rule-based attribution of each paid order (grain: order_id, model, interaction_id);
-- definitions in _journeys__models.yml. An order's touches are its customer's outbound touches
-- within attribution_lookback_days before it. Incremental on orders: a run recomputes the orders
-- it delivered, those on or after the facts' rebuild window (a late touch may fall in their
-- lookback) and every order of a customer whose key changed, or with a row delivered in the run
-- from before that window (customers_delivered_in_run); its pre-hook deletes the orders it
-- received refunded or cancelled. Only those orders' customers' touches are read. Each row
-- carries the run's last day (computed_for_run_day), from which mart_order_attribution takes the
-- orders recomputed here.
-- depends_on: {{ ref('stg_orders__orders') }}
-- depends_on: {{ ref('int_records_clustered') }}
-- depends_on: {{ ref('int_activities_resolved') }}
-- depends_on: {{ ref('int_email_events_resolved') }}
-- depends_on: {{ ref('int_orders_resolved') }}
-- depends_on: {{ ref('stg_crm__activities') }}
-- depends_on: {{ ref('stg_email__events') }}
{%- set lookback_days = var('attribution_lookback_days') %}
{%- set half_life_days = var('attribution_half_life_days') %}
{%- set endpoint_share = var('attribution_position_endpoint_share') %}
{%- set rebuild_days = var('late_arrival_lookback_days') + var('response_window_days') + 1 %}
{%- set seconds_before_order =
    dbt.datediff('touches.occurred_at', 'orders.ordered_at', 'second') %}

with orders as {{ materialized_cte() }} (
    select
        order_id,
        customer_key,
        ordered_at,
        order_date,
        reporting_amount
    from {{ ref('fct_orders') }}
    {% if is_incremental() %}
        where
            order_id in (
                select order_id from {{ ref('stg_orders__orders') }}
                where {{ delivered_in_run('delivered_date') }}
            )
            or order_date >= (
                select
                    cast({{ dbt.dateadd('day', -rebuild_days, 'max(order_date)') }} as date)
                from {{ this }}
            )
            or customer_key in ({{ rekeyed_customers() }})
            -- a touch delivered from before that window may fall in older orders' lookback
            or customer_key in ({{ customers_delivered_in_run(dbt.dateadd(
                'day', -rebuild_days + 1,
                'cast((select max(order_date) from ' ~ this ~ ') as timestamp)'
            )) }})
    {% endif %}
),

touches as (
    -- the unresolved bucket's touches are strangers': its orders have none
    select
        interaction_id,
        customer_key,
        occurred_at,
        channel
    from {{ ref('fct_interactions') }}
    where
        is_touch
        and customer_key <> {{ unresolved_customer_key() }}
        and customer_key in (select orders.customer_key from orders)
        -- no older than the lookback of the earliest order in scope: a daily run reads recent
        -- touches only (and a re-keyed customer's back to its first order)
        and occurred_at >= (
            select {{ dbt.dateadd('day', -lookback_days, 'min(orders.ordered_at)') }}
            from orders
        )
),

order_touches as (
    select
        orders.order_id,
        touches.interaction_id,
        touches.channel,
        row_number() over (
            partition by orders.order_id
            order by touches.occurred_at, touches.interaction_id
        ) as touch_number,
        count(*) over (partition by orders.order_id) as order_touches,
        {{ seconds_before_order }}
            as seconds_before_order
    from orders
    inner join touches
        on
            orders.customer_key = touches.customer_key
            and orders.ordered_at > touches.occurred_at
            and {{ dbt.dateadd('day', -lookback_days, 'orders.ordered_at') }}
            <= touches.occurred_at
),

decayed as (
    select
        *,
        power(0.5, cast(seconds_before_order as double) / ({{ half_life_days }} * 86400))
            as decay
    from order_touches
),

touch_weights as (
    select
        order_id,
        interaction_id,
        channel,
        case when touch_number = 1 then 1.0 else 0.0 end as first_touch,
        case when touch_number = order_touches then 1.0 else 0.0 end as last_touch,
        cast(1 as double) / order_touches as linear,
        decay / sum(decay) over (partition by order_id) as time_decay,
        case
            when order_touches = 1 then 1.0
            when order_touches = 2 then 0.5
            when touch_number in (1, order_touches) then {{ endpoint_share }}
            else (1 - 2 * {{ endpoint_share }}) / (order_touches - 2)
        end as position_based
    from decayed
),

weighted as (
    {%- for model in rule_based_attribution_models() %}
        select
            order_id,
            interaction_id,
            channel,
            '{{ model }}' as model,
            {{ model }} as weight
        from touch_weights
        where {{ model }} > 0
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

direct as (
    -- every model gives an order without touches wholly to 'direct'
    {%- for model in rule_based_attribution_models() %}
        select
            order_id,
            cast(null as {{ dbt.type_string() }}) as interaction_id,
            'direct' as channel,
            '{{ model }}' as model,
            1.0 as weight
        from orders
        where order_id not in (select order_touches.order_id from order_touches)
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

credited as (
    select * from weighted
    union all
    select * from direct
),

customers as (
    {{ customer_record_counts() }}
)

select
    {{ hash_columns(['credited.order_id', 'credited.model', 'credited.interaction_id']) }}
        as order_touch_model_id,
    credited.order_id,
    orders.customer_key,
    orders.ordered_at,
    orders.order_date,
    orders.reporting_amount,
    credited.model,
    credited.interaction_id,
    credited.channel,
    cast(credited.weight as {{ attribution_weight_type() }}) as weight,
    customers.customer_records,
    {{ run_day_marker() }} as computed_for_run_day
from credited
inner join orders on credited.order_id = orders.order_id
left join customers
    on orders.customer_key = customers.customer_key
