{%- set conversion_windows = var('conversion_windows_days') %}
{%- set lookback_days = var('late_arrival_lookback_days') + var('response_window_days') %}
{#- counts of single interaction types that the tags' intent and risk rules need -#}
{%- set type_count_columns = {
    'clicks': 'email_click', 'replies': 'email_reply', 'unsubscribes': 'email_unsubscribe',
    'spam_reports': 'email_spam_report', 'bounces': 'email_bounce', 'deliveries': 'email_delivered'
} %}
{%- set summary_columns = [
    'interactions', 'touches', 'weighted_touches', 'responses', 'customer_initiated',
    'responses_or_initiated', 'touches_responded'
] + type_count_columns.keys() | list %}
{#- A candidate row (of the facts, or stored; joined to cutoff and scope) is in the run's scope: on
    or after the cutoff, or a day the run recomputes for its customer. -#}
{#- A day's 'order' row, where the day's 'order' interactions and its paid orders meet. -#}
{%- set shared_order_row =
    "coalesce(channel = 'order' and next_paid_order_date is null, false)" %}
{%- set in_scope -%}
    (
        candidate.occurred_date >= cutoff.rebuild_from
        or scope.recomputed_whole
        or candidate.occurred_date between scope.from_date and scope.to_date
    )
{%- endset %}
{{
    config(
        materialized='incremental',
        unique_key='customer_day_id',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        pre_hook="{{ keep_insertion_order(false) }}",
        post_hook=[
            "{% if is_incremental() %}
                delete from {{ this }} where interactions = 0 and paid_orders = 0
            {% endif %}",
            "{{ keep_insertion_order(true) }}"
        ]
    )
}}
-- The compact daily state the as-of marts read instead of the facts (grain: customer, local day,
-- channel, next paid order date); definitions in _engagement__models.yml. Incremental: a run
-- recomputes, from the facts, the days in scope and replaces them by delete+insert on
-- customer_day_id (at 10M, 0.3 s where a MERGE that updated, deleted and inserted took 1.9 s). A
-- stored day in scope that has nothing left comes out empty, replaces the stored row, and the
-- post-hook deletes it: no other row is ever empty. Each row written carries the run's last day
-- (computed_for_run_day), so that a daily run's tests check those rows only. In scope: the last
-- late_arrival_lookback_days + response_window_days days (as fct_interactions rebuilds them);
-- every day of a customer whose key changed (a stored key that is no longer a customer, or a
-- customer whose identity records changed: another merged in, or a new record brought rows
-- unresolved until now; the unresolved bucket); every day of a customer with a row delivered in
-- the run that happened before those days (customers_delivered_in_run); and, for each customer
-- with an order delivered in the run, the days from the longest conversion window before the
-- earliest such order to the latest (the touches whose next paid order one of them may be).
-- depends_on: {{ ref('stg_orders__orders') }}
-- depends_on: {{ ref('int_orders_resolved') }}
-- depends_on: {{ ref('int_activities_resolved') }}
-- depends_on: {{ ref('int_email_events_resolved') }}
-- depends_on: {{ ref('stg_crm__activities') }}
-- depends_on: {{ ref('stg_email__events') }}

with customers as (
    select
        customer_key,
        count(*) as customer_records
    from {{ ref('int_records_clustered') }}
    group by customer_key
),

{% if is_incremental() %}
    stored_customers as (
        select
            customer_key,
            max(customer_records) as customer_records
        from {{ this }}
        group by customer_key
    ),

    cutoff as {{ materialized_cte() }} (
        select
            cast({{ dbt.dateadd('day', -lookback_days, 'max(occurred_date)') }} as date)
                as rebuild_from
        from {{ this }}
    ),

    changed_customers as {{ materialized_cte() }} (
        select stored_customers.customer_key
        from stored_customers
        left join customers on stored_customers.customer_key = customers.customer_key
        where
            customers.customer_key is null
            or customers.customer_records <> stored_customers.customer_records
        union
        select customers.customer_key
        from customers
        left join stored_customers on customers.customer_key = stored_customers.customer_key
        where stored_customers.customer_key is null
        union
        -- a row delivered in the run from before the window: its customer's rows in the facts
        -- were recomputed whole; the day after the cutoff's start, so that no timezone drops one
        {{ customers_delivered_in_run(
            dbt.dateadd('day', 1, 'cast((select rebuild_from from cutoff) as timestamp)')
        ) }}
    ),

    delivered_orders as (
        select
            orders.customer_key,
            {{ utc_to_local_date('orders.ordered_at') }} as order_date
        from {{ ref('int_orders_resolved') }} as orders
        where orders.order_id in (
            select order_id from {{ ref('stg_orders__orders') }}
            where {{ delivered_in_run('delivered_date') }}
        )
    ),

    conversion_ranges as (
        -- one range per customer, so that a day joins it once
        select
            customer_key,
            cast({{ dbt.dateadd('day', -(conversion_windows | max), 'min(order_date)') }} as date)
                as from_date,
            max(order_date) as to_date
        from delivered_orders
        group by customer_key
    ),

    scope as {{ materialized_cte() }} (
        -- per customer, the days before the cutoff that the run recomputes: every day of a
        -- changed customer, the conversion range of a buyer
        select
            customer_key,
            true as recomputed_whole,
            cast(null as date) as from_date,
            cast(null as date) as to_date
        from changed_customers
        union all
        select
            customer_key,
            false as recomputed_whole,
            from_date,
            to_date
        from conversion_ranges
        where customer_key not in (select customer_key from changed_customers)
    ),

    interactions as {{ materialized_cte() }} (
        -- one scan of the facts, each row joined to its customer's scope (the small side)
        select candidate.*
        from {{ ref('fct_interactions') }} as candidate
        cross join cutoff
        left join scope on candidate.customer_key = scope.customer_key
        where {{ in_scope }}
    ),

    orders as (
        -- every paid order of the customers in scope: the next paid order after each touch
        select *
        from {{ ref('fct_orders') }}
        where customer_key in (select distinct customer_key from interactions)
    ),
{% else %}
    interactions as (
        select * from {{ ref('fct_interactions') }}
    ),

    orders as (
        select * from {{ ref('fct_orders') }}
    ),
{% endif %}

timeline as (
    select
        customer_key,
        occurred_at,
        occurred_date,
        channel,
        interaction_type,
        is_touch,
        weight,
        is_response,
        is_customer_initiated,
        responded,
        false as is_order
    from interactions
    union all
    select
        customer_key,
        ordered_at as occurred_at,
        order_date as occurred_date,
        null as channel,
        null as interaction_type,
        null as is_touch,
        null as weight,
        null as is_response,
        null as is_customer_initiated,
        null as responded,
        true as is_order
    from orders
),

with_next_order as (
    select
        *,
        -- an order at the very time of a touch sorts before it: it did not follow the touch
        min(case when is_order then occurred_at end) over (
            partition by customer_key
            order by occurred_at asc, is_order desc
            rows between 1 following and unbounded following
        ) as next_paid_order_at
    from timeline
),

classified as (
    select
        customer_key,
        occurred_at,
        occurred_date,
        channel,
        interaction_type,
        is_touch,
        weight,
        is_response,
        is_customer_initiated,
        responded,
        next_paid_order_at,
        case
            when
                is_touch
                and next_paid_order_at
                <= {{ dbt.dateadd('day', conversion_windows | max, 'occurred_at') }}
                then {{ utc_to_local_date('next_paid_order_at') }}
        end as next_paid_order_date
    from with_next_order
    where not is_order
),

interaction_days as (
    select
        customer_key,
        occurred_date,
        channel,
        next_paid_order_date,
        count(*) as interactions,
        count(case when is_touch then 1 end) as touches,
        -- in 64 bits: a 128-bit decimal's bit-packed column took 1.2 s to read at 10M rows, a
        -- hundred times another column's
        cast(coalesce(sum(case when is_touch then weight end), 0) as {{ exact_decimal_type() }})
            as weighted_touches,
        count(case when is_response then 1 end) as responses,
        count(case when is_customer_initiated then 1 end) as customer_initiated,
        count(case when is_response or is_customer_initiated then 1 end)
            as responses_or_initiated,
        count(case when responded then 1 end) as touches_responded,
        {%- for column, interaction_type in type_count_columns.items() %}
            count(case when interaction_type = '{{ interaction_type }}' then 1 end)
                as {{ column }},
        {%- endfor %}
        {%- for days in conversion_windows %}
            count(
                case
                    when
                        is_touch
                        and next_paid_order_at
                        <= {{ dbt.dateadd('day', days, 'occurred_at') }}
                        then 1
                end
            ) as touches_with_order_{{ days }}d,
        {%- endfor %}
        max(case when is_touch then occurred_at end) as last_touch_at,
        max(case when is_response then occurred_at end) as last_response_at
    from classified
    group by customer_key, occurred_date, channel, next_paid_order_date
),

order_days as (
    select
        customer_key,
        order_date,
        count(*) as paid_orders,
        sum(reporting_amount) as revenue
    from orders
    {% if is_incremental() %}
        -- only the days in scope: the rest are the next orders of touches, stored already
        where exists (
            select 1 from interactions
            where
                interactions.customer_key = orders.customer_key
                and interactions.occurred_date = orders.order_date
        )
    {% endif %}
    group by customer_key, order_date
),

day_parts as (
    -- a day's paid orders join its 'order' interactions (next_paid_order_date is null there):
    -- summed over a union, as a full outer join with constants in its condition would run as a
    -- nested loop (50 s at 1M rows instead of 1 s)
    select
        customer_key,
        occurred_date,
        channel,
        next_paid_order_date,
        {%- for column in summary_columns %}
            {{ column }},
        {%- endfor %}
        {%- for days in conversion_windows %}
            touches_with_order_{{ days }}d,
        {%- endfor %}
        last_touch_at,
        last_response_at,
        0 as paid_orders,
        cast(0 as {{ exact_decimal_type() }}) as revenue
    from interaction_days
    union all
    select
        customer_key,
        order_date as occurred_date,
        'order' as channel,
        cast(null as date) as next_paid_order_date,
        {%- for column in summary_columns %}
            0 as {{ column }},
        {%- endfor %}
        {%- for days in conversion_windows %}
            0 as touches_with_order_{{ days }}d,
        {%- endfor %}
        cast(null as {{ dbt.type_timestamp() }}) as last_touch_at,
        cast(null as {{ dbt.type_timestamp() }}) as last_response_at,
        paid_orders,
        revenue
    from order_days
),

summarised as (
    -- a row of day_parts is its group's, except on a day's 'order' row, which the day's 'order'
    -- interactions and its paid orders share: only those rows are summed again (summing every
    -- row a second time took the full build at 10M to DuckDB's memory limit, and over it); the
    -- sums below list day_parts' columns in its order, and keep their types
    select * from day_parts
    where not {{ shared_order_row }}
    union all
    select
        customer_key,
        occurred_date,
        channel,
        next_paid_order_date,
        {%- for column in summary_columns %}
            {%- if column == 'weighted_touches' %}
                cast(sum({{ column }}) as {{ exact_decimal_type() }}) as {{ column }},
            {%- else %}
                cast(sum({{ column }}) as {{ dbt.type_bigint() }}) as {{ column }},
            {%- endif %}
        {%- endfor %}
        {%- for days in conversion_windows %}
            cast(sum(touches_with_order_{{ days }}d) as {{ dbt.type_bigint() }})
                as touches_with_order_{{ days }}d,
        {%- endfor %}
        max(last_touch_at) as last_touch_at,
        max(last_response_at) as last_response_at,
        cast(sum(paid_orders) as {{ dbt.type_bigint() }}) as paid_orders,
        sum(revenue) as revenue
    from day_parts
    where {{ shared_order_row }}
    group by customer_key, occurred_date, channel, next_paid_order_date
),

keyed as (
    select
        {{ hash_columns(['customer_key', 'occurred_date', 'channel', 'next_paid_order_date']) }}
            as customer_day_id,
        summarised.*
    from summarised
)
{% if is_incremental() %}
    ,

    retracted as (
        -- stored rows in scope that the facts no longer give: an empty row replaces each, and
        -- the post-hook deletes it
        select
            candidate.customer_day_id,
            candidate.customer_key,
            candidate.occurred_date,
            candidate.channel,
            candidate.next_paid_order_date,
            {%- for column in summary_columns %}
                0 as {{ column }},
            {%- endfor %}
            {%- for days in conversion_windows %}
                0 as touches_with_order_{{ days }}d,
            {%- endfor %}
            cast(null as {{ dbt.type_timestamp() }}) as last_touch_at,
            cast(null as {{ dbt.type_timestamp() }}) as last_response_at,
            0 as paid_orders,
            0 as revenue
        from {{ this }} as candidate
        cross join cutoff
        left join scope on candidate.customer_key = scope.customer_key
        where
            candidate.customer_day_id not in (select customer_day_id from keyed)
            and {{ in_scope }}
    )
{% endif %}

select
    keyed.*,
    customers.customer_records,
    {{ run_day_marker() }} as computed_for_run_day
from keyed
left join customers on keyed.customer_key = customers.customer_key
{% if is_incremental() %}
    union all
    select
        retracted.*,
        null as customer_records,
        {{ run_day_marker() }} as computed_for_run_day
    from retracted
{% endif %}
