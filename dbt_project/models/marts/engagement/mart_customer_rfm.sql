-- RFM value and the lifetimes summary per customer as of a date (grain: customer_key; customers
-- with a paid order on or before the as-of date); definitions in _engagement__models.yml. Built
-- from the paid orders and revenue per day of the daily state int_customer_days_summarised.
{%- set window_days = var('rfm_window_days') %}

with as_of as (
    select {{ as_of_date() }} as as_of_date
),

purchase_days as (
    select
        customer_key,
        occurred_date as order_date,
        sum(paid_orders) as paid_orders,
        sum(revenue) as revenue
    from {{ ref('int_customer_days_summarised') }}
    where
        paid_orders > 0
        and customer_key <> {{ unresolved_customer_key() }}
        and occurred_date <= {{ as_of_date() }}
    group by customer_key, occurred_date
),

segments as (
    select * from {{ ref('rfm_segments') }}
),

first_purchase_days as (
    select
        customer_key,
        min(order_date) as first_order_date,
        max(order_date) as last_order_date,
        count(*) as purchase_days
    from purchase_days
    group by customer_key
),

repeat_purchases as (
    select
        purchase_days.customer_key,
        {{ mean_to_the_cent('purchase_days.revenue') }} as mean_repeat_revenue
    from purchase_days
    inner join first_purchase_days
        on purchase_days.customer_key = first_purchase_days.customer_key
    where purchase_days.order_date > first_purchase_days.first_order_date
    group by purchase_days.customer_key
),

windowed as (
    select
        customer_key,
        cast(sum(paid_orders) as {{ dbt.type_bigint() }}) as frequency_orders,
        cast(sum(revenue) as {{ exact_decimal_type() }}) as monetary
    from purchase_days
    where order_date > {{ dbt.dateadd('day', -window_days, as_of_date()) }}
    group by customer_key
),

measured as (
    select
        firsts.customer_key,
        firsts.first_order_date,
        firsts.last_order_date,
        -- day counts in 64 bits on both engines (Spark's datediff is a 32-bit int)
        cast(
            {{ dbt.datediff('firsts.last_order_date', 'as_of.as_of_date', 'day') }}
            as {{ dbt.type_bigint() }}
        ) as recency_days,
        coalesce(windowed.frequency_orders, 0) as frequency_orders,
        coalesce(windowed.monetary, 0) as monetary,
        firsts.purchase_days - 1 as lifetimes_frequency,
        cast(
            {{ dbt.datediff('firsts.first_order_date', 'firsts.last_order_date', 'day') }}
            as {{ dbt.type_bigint() }}
        ) as lifetimes_recency,
        cast(
            {{ dbt.datediff('firsts.first_order_date', 'as_of.as_of_date', 'day') }}
            as {{ dbt.type_bigint() }}
        ) as lifetimes_t,
        coalesce(repeats.mean_repeat_revenue, 0) as lifetimes_monetary_value
    from first_purchase_days as firsts
    cross join as_of
    left join windowed on firsts.customer_key = windowed.customer_key
    left join repeat_purchases as repeats on firsts.customer_key = repeats.customer_key
),

scored as (
    select
        *,
        cast({{ quintile_score('recency_days desc') }} as integer) as r_score,
        cast({{ quintile_score('frequency_orders') }} as integer) as f_score,
        cast({{ quintile_score('monetary') }} as integer) as m_score
    from measured
)

select
    scored.customer_key,
    {{ as_of_date() }} as as_of_date,
    scored.first_order_date,
    scored.last_order_date,
    scored.recency_days,
    scored.frequency_orders,
    scored.monetary,
    scored.r_score,
    scored.f_score,
    scored.m_score,
    scored.r_score * 100 + scored.f_score * 10 + scored.m_score as rfm_code,
    segments.rfm_segment,
    scored.lifetimes_frequency,
    scored.lifetimes_recency,
    scored.lifetimes_t,
    scored.lifetimes_monetary_value
from scored
inner join segments
    on scored.r_score * 100 + scored.f_score * 10 + scored.m_score = segments.rfm_code
