{%- set channels = var('touch_channels') %}
{{
    config(
        materialized='incremental',
        unique_key='customer_month_id',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
        pre_hook="{% if is_incremental() %}
            delete from {{ this }}
            {% if is_incremental_run() %}
                where
                    month_start >= {{ daily_state_window_month() }}
                    or customer_key not in ({{ customers_with_unmarked_days() }})
            {% endif %}
        {% endif %}"
    )
}}
-- The time series BI tools chart (grain: customer_key, local month); definitions in
-- _interactions__models.yml. Built from the daily state int_customer_days_summarised, which
-- holds a row for every day with an interaction or a paid order, unresolved bucket included.
-- Incremental: a daily run recomputes the months the state's run may have changed
-- (daily_state_changes.sql): a customer's month with a row the state wrote, every customer's
-- months from the state's rebuild window on, and every month of a customer the state recomputed
-- whole. Its pre-hook deletes the stored months of the last two kinds, which may have no row left
-- (a merged-away customer's, or a month whose only interactions moved to another customer;
-- every month when the run names no days); delete+insert replaces the rest.

with state_days as (
    select * from {{ ref('int_customer_days_summarised') }}
    {% if is_incremental_run() %}
        -- every customer's months from the window's on, and each earlier month with a row the
        -- state wrote, whose every row is summed again
        where occurred_date >= {{ daily_state_window_month() }}
        union all
        select state.*
        from {{ ref('int_customer_days_summarised') }} as state
        inner join ({{ customer_months_marked() }}) as marked_months
            on
                state.customer_key = marked_months.customer_key
                and cast({{ dbt.date_trunc('month', 'state.occurred_date') }} as date)
                = marked_months.month_start
        where
            state.occurred_date < {{ daily_state_window_month() }}
            and marked_months.month_start < {{ daily_state_window_month() }}
    {% endif %}
),

days as (
    select
        customer_key,
        {{ dbt.date_trunc('month', 'occurred_date') }} as month_start,
        channel,
        touches,
        weighted_touches,
        responses,
        customer_initiated,
        paid_orders,
        revenue
    from state_days
)

select
    {{ hash_columns(['customer_key', 'month_start']) }} as customer_month_id,
    customer_key,
    cast(month_start as date) as month_start,
    cast(sum(touches) as {{ dbt.type_bigint() }}) as touches,
    {%- for channel in channels %}
        cast(
            sum(case when channel = '{{ channel }}' then touches else 0 end)
            as {{ dbt.type_bigint() }}
        ) as touches_{{ channel }},
    {%- endfor %}
    cast(sum(weighted_touches) as {{ exact_decimal_type() }}) as weighted_touches,
    cast(sum(responses) as {{ dbt.type_bigint() }}) as responses,
    cast(sum(customer_initiated) as {{ dbt.type_bigint() }}) as customer_initiated,
    cast(sum(paid_orders) as {{ dbt.type_bigint() }}) as orders,
    cast(sum(revenue) as {{ exact_decimal_type() }}) as revenue
from days
group by customer_key, month_start
