-- The time series BI tools chart (grain: customer_key, local month); definitions in
-- _interactions__models.yml. Built from the daily state int_customer_days_summarised, which
-- holds a row for every day with an interaction or a paid order, unresolved bucket included.
{%- set channels = var('touch_channels') %}

with days as (
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
    from {{ ref('int_customer_days_summarised') }}
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
