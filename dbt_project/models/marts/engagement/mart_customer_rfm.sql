-- RFM value per customer as of a date (grain: customer_key; customers with at least one paid
-- order on or before the as-of date). Recency in days since the last order; frequency and
-- monetary (revenue in var reporting_currency) over the trailing var rfm_window_days (default
-- 365). Scores 1-5 by quintile, ties sharing a score; rfm_segment from the editable rfm_segments
-- seed (all 125 codes).
-- Also the buy-till-you-die summary exactly as the lifetimes library computes it with daily
-- periods (summary_data_from_transaction_data, freq='D'): frequency = repeat purchase days,
-- recency = days from first to last purchase day, T = days from first purchase day to the as-of
-- date, monetary_value = mean revenue of the repeat purchase days (0 without repeats).
{%- set window_days = var('rfm_window_days', 365) %}

with as_of as (
    select {{ as_of_date() }} as as_of_date
),

orders as (
    select * from {{ ref('fct_orders') }}
    where not is_unresolved and order_date <= {{ as_of_date() }}
),

segments as (
    select * from {{ ref('rfm_segments') }}
),

purchase_days as (
    select
        customer_key,
        order_date,
        sum(reporting_amount) as revenue
    from orders
    group by customer_key, order_date
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
        cast(avg(purchase_days.revenue) as {{ exact_decimal_type() }}) as mean_repeat_revenue
    from purchase_days
    inner join first_purchase_days
        on purchase_days.customer_key = first_purchase_days.customer_key
    where purchase_days.order_date > first_purchase_days.first_order_date
    group by purchase_days.customer_key
),

windowed as (
    select
        customer_key,
        count(*) as frequency_orders,
        cast(sum(reporting_amount) as {{ exact_decimal_type() }}) as monetary
    from orders
    where order_date > {{ dbt.dateadd('day', -window_days, as_of_date()) }}
    group by customer_key
),

measured as (
    select
        firsts.customer_key,
        firsts.first_order_date,
        firsts.last_order_date,
        {{ dbt.datediff('firsts.last_order_date', 'as_of.as_of_date', 'day') }}
            as recency_days,
        coalesce(windowed.frequency_orders, 0) as frequency_orders,
        coalesce(windowed.monetary, 0) as monetary,
        firsts.purchase_days - 1 as lifetimes_frequency,
        {{ dbt.datediff('firsts.first_order_date', 'firsts.last_order_date', 'day') }}
            as lifetimes_recency,
        {{ dbt.datediff('firsts.first_order_date', 'as_of.as_of_date', 'day') }}
            as lifetimes_t,
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
