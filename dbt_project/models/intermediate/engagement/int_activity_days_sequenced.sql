{%- set burst_reach_days = var('burst_window_days') - 1 %}
{%- set excluded_channels = var('decline_excluded_touch_channels') %}
{{
    config(
        materialized='incremental',
        unique_key='activity_day_id',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
        pre_hook="{% if is_incremental() %}
            delete from {{ this }}
            {% if is_incremental_run() %}
                where
                    occurred_date >= {{ daily_state_sequences_from(" ~ burst_reach_days ~ ") }}
                    or customer_key not in ({{ customers_with_unmarked_days() }})
                    or activity_day_id in (
                        select stored.activity_day_id
                        from {{ this }} as stored
                        inner join ({{ customers_recomputed_early(" ~ burst_reach_days ~ ") }})
                            as early
                            on stored.customer_key = early.customer_key
                        where stored.occurred_date >= early.recompute_from
                    )
            {% endif %}
        {% endif %}"
    )
}}
-- A customer's days with any activity, each with what the cadence and tag marts read of its
-- whole history (grain: customer_key, local day; the unresolved bucket left out); definitions in
-- _engagement__models.yml. The day's sums over channels of the daily state
-- int_customer_days_summarised, and two values of the touch days' sequence: the days since the
-- previous touch day, and the touches of the burst window that starts on the day. Incremental:
-- a daily run recomputes, from the state, each customer's days from burst_window_days - 1 days
-- before the first day the state's run may have changed for it (macros/daily_state_changes.sql:
-- its rows the run wrote, the state's rebuild window, all days of a customer recomputed whole),
-- so that the burst windows reaching into those days are summed again; the previous touch day
-- of the first recomputed day is the newest stored one before it. The pre-hook deletes the
-- stored days recomputed (some have no row left).
-- depends_on: {{ ref('int_customer_days_summarised') }}

with
{% if is_incremental_run() %}
    early as {{ materialized_cte() }} (
        {{ customers_recomputed_early(burst_reach_days) }}
    ),

    state_days as (
        select * from {{ ref('int_customer_days_summarised') }}
        where occurred_date >= {{ daily_state_sequences_from(burst_reach_days) }}
        union all
        select state.*
        from {{ ref('int_customer_days_summarised') }} as state
        inner join early on state.customer_key = early.customer_key
        where
            state.occurred_date >= early.recompute_from
            and state.occurred_date < {{ daily_state_sequences_from(burst_reach_days) }}
    ),

    previous_touch_days as (
        -- the newest stored touch day before a customer's first recomputed day: the pre-hook
        -- left only the days before it (and none of a customer recomputed whole)
        select
            customer_key,
            max(occurred_date) as occurred_date
        from {{ this }}
        where touches > 0
        group by customer_key
    ),
{% else %}
    state_days as (
        select * from {{ ref('int_customer_days_summarised') }}
    ),

    previous_touch_days as (
        select
            cast(null as {{ dbt.type_string() }}) as customer_key,
            cast(null as date) as occurred_date
        from state_days
        where false
    ),
{% endif %}

days as (
    select
        customer_key,
        occurred_date,
        cast(sum(touches) as {{ dbt.type_bigint() }}) as touches,
        cast(sum(weighted_touches) as {{ exact_decimal_type() }}) as weighted_touches,
        cast(sum(customer_initiated) as {{ dbt.type_bigint() }}) as customer_initiated,
        -- the decline signal's engagement: responses and customer-initiated interactions, and
        -- touches except on the excluded channels
        cast(sum(
            responses_or_initiated
            + case
                when channel in ('{{ excluded_channels | join("', '") }}') then 0 else touches
            end
        ) as {{ dbt.type_bigint() }}) as engagements,
        max(last_touch_at) as last_touch_at,
        {{ latest_non_null('channel', 'last_touch_at') }} as last_touch_channel,
        max(last_response_at) as last_response_at,
        coalesce(sum(responses_or_initiated) > 0 or sum(paid_orders) > 0, false) as is_engaged,
        cast(sum(deliveries) as {{ dbt.type_bigint() }}) as deliveries,
        cast(sum(clicks) as {{ dbt.type_bigint() }}) as clicks,
        cast(sum(replies) as {{ dbt.type_bigint() }}) as replies,
        cast(
            sum(case when channel <> 'order' then customer_initiated else 0 end)
            as {{ dbt.type_bigint() }}
        ) as inbound_contacts,
        cast(
            sum(case when channel = 'meeting' then interactions else 0 end)
            as {{ dbt.type_bigint() }}
        ) as meetings,
        cast(
            sum(case when channel = 'visit' then interactions else 0 end)
            as {{ dbt.type_bigint() }}
        ) as visits,
        cast(sum(unsubscribes) as {{ dbt.type_bigint() }}) as unsubscribes,
        cast(sum(spam_reports) as {{ dbt.type_bigint() }}) as spam_reports,
        cast(sum(bounces) as {{ dbt.type_bigint() }}) as bounces
    from state_days
    where customer_key <> {{ unresolved_customer_key() }}
    group by customer_key, occurred_date
),

numbered as (
    select
        customer_key,
        occurred_date,
        touches,
        false as is_previous,
        {{ dbt.datediff("cast('1970-01-01' as date)", 'occurred_date', 'day') }}
            as day_number
    from days
    union all
    select
        customer_key,
        occurred_date,
        1 as touches,
        true as is_previous,
        {{ dbt.datediff("cast('1970-01-01' as date)", 'occurred_date', 'day') }}
            as day_number
    from previous_touch_days
),

sequenced as (
    select
        customer_key,
        occurred_date,
        is_previous,
        case
            when touches > 0
                then day_number - max(case when touches > 0 then day_number end) over (
                    partition by customer_key
                    order by day_number
                    rows between unbounded preceding and 1 preceding
                )
        end as touch_gap_days,
        case
            when touches > 0
                then sum(touches) over (
                    partition by customer_key
                    order by day_number
                    range between current row and {{ burst_reach_days }} following
                )
        end as touches_in_burst_window
    from numbered
)

select
    {{ hash_columns(['days.customer_key', 'days.occurred_date']) }} as activity_day_id,
    days.*,
    -- day counts in 64 bits on both engines (Spark's datediff is a 32-bit int)
    cast(sequenced.touch_gap_days as {{ dbt.type_bigint() }}) as touch_gap_days,
    cast(sequenced.touches_in_burst_window as {{ dbt.type_bigint() }})
        as touches_in_burst_window,
    {{ run_day_marker() }} as computed_for_run_day
from days
inner join sequenced
    on
        days.customer_key = sequenced.customer_key
        and days.occurred_date = sequenced.occurred_date
        and not sequenced.is_previous
