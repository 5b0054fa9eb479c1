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
{{
    config(
        materialized='incremental',
        unique_key='customer_day_id',
        incremental_strategy='merge',
        merge_clauses={
            'when_matched': [
                {'condition': 'DBT_INTERNAL_SOURCE.interactions = 0 and DBT_INTERNAL_SOURCE.paid_orders = 0',
                 'action': 'delete'},
                {'action': 'update', 'mode': 'by_name'}
            ],
            'when_not_matched': [
                {'condition': 'DBT_INTERNAL_SOURCE.interactions > 0 or DBT_INTERNAL_SOURCE.paid_orders > 0',
                 'action': 'insert', 'mode': 'by_name'}
            ]
        },
        on_schema_change='append_new_columns',
        pre_hook="{{ keep_insertion_order(false) }}",
        post_hook="{{ keep_insertion_order(true) }}"
    )
}}
-- The compact daily state the as-of marts read instead of the facts (grain: customer, local day,
-- channel, next paid order date); definitions in _engagement__models.yml. Incremental: a run
-- recomputes, from the facts, the days in scope and merges them; a day in scope that has nothing
-- left is deleted (its summary comes out empty). In scope: the last late_arrival_lookback_days +
-- response_window_days days (as fct_interactions rebuilds them); every day of a customer whose
-- key changed (a stored key that is no longer a customer, or a customer whose identity records
-- changed: another merged in, or a new record brought rows unresolved until now; the unresolved
-- bucket); every day of a customer with a row delivered in the run that happened before those
-- days (customers_delivered_before); and, for each order delivered in the run, its customer's
-- days from the longest conversion window before it to its day (the touches whose next paid
-- order it may be).
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
        {{ customers_delivered_before(
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

    conversion_days as {{ materialized_cte() }} (
        -- a customer's days whose touches may have a delivered order as their next paid order
        select distinct
            customer_key,
            order_date,
            cast({{ dbt.dateadd('day', -(conversion_windows | max), 'order_date') }} as date)
                as from_date
        from delivered_orders
    ),

    interactions as {{ materialized_cte() }} (
        select facts.*
        from {{ ref('fct_interactions') }} as facts
        where facts.occurred_date >= (select rebuild_from from cutoff)
        union all
        select facts.*
        from {{ ref('fct_interactions') }} as facts
        where
            facts.occurred_date < (select rebuild_from from cutoff)
            and facts.customer_key in (select customer_key from changed_customers)
        union all
        select facts.*
        from {{ ref('fct_interactions') }} as facts
        where
            facts.occurred_date < (select rebuild_from from cutoff)
            and facts.customer_key not in (select customer_key from changed_customers)
            -- the few customers with an order delivered in the run first: the correlated test
            -- alone ran over every earlier fact (at 10M, the model's select 7.5 s -> 4.2 s)
            and facts.customer_key in (select customer_key from conversion_days)
            and exists (
                select 1 from conversion_days
                where
                    conversion_days.customer_key = facts.customer_key
                    and facts.occurred_date between conversion_days.from_date
                    and conversion_days.order_date
            )
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
        coalesce(sum(case when is_touch then weight end), 0) as weighted_touches,
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
    select
        customer_key,
        occurred_date,
        channel,
        next_paid_order_date,
        {%- for column in summary_columns %}
            {%- if column == 'weighted_touches' %}
                sum({{ column }}) as {{ column }},
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
        -- stored rows in scope that the facts no longer give: the merge deletes them
        select
            stored.customer_day_id,
            stored.customer_key,
            stored.occurred_date,
            stored.channel,
            stored.next_paid_order_date,
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
        from {{ this }} as stored
        where
            stored.customer_day_id not in (select customer_day_id from keyed)
            and (
                stored.occurred_date >= (select rebuild_from from cutoff)
                or stored.customer_key in (select customer_key from changed_customers)
                or exists (
                    select 1 from conversion_days
                    where
                        conversion_days.customer_key = stored.customer_key
                        and stored.occurred_date between conversion_days.from_date
                        and conversion_days.order_date
                )
            )
    )
{% endif %}

select
    keyed.*,
    customers.customer_records
from keyed
left join customers on keyed.customer_key = customers.customer_key
{% if is_incremental() %}
    union all
    select
        retracted.*,
        null as customer_records
    from retracted
{% endif %}
