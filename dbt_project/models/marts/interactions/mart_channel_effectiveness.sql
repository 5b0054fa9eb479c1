-- Which channels get responses and orders (grain: channel, rfm_segment, touch month; local
-- months up to the as-of date). A touch responded when the customer responded within var
-- response_window_days; it converted within N days when the customer placed a paid order
-- within N days after it. rfm_segment is the customer's segment as of the as-of date.
-- is_window_complete is false for months whose 30-day conversion window has not closed yet.
with touches as (
    select
        customer_key,
        interaction_id,
        occurred_at,
        occurred_date,
        channel,
        responded
    from {{ ref('fct_interactions') }}
    where is_touch and not is_unresolved and occurred_date <= {{ as_of_date() }}
),

orders as (
    select
        customer_key,
        ordered_at
    from {{ ref('fct_orders') }}
    where not is_unresolved and order_date <= {{ as_of_date() }}
),

segments as (
    select
        customer_key,
        rfm_segment
    from {{ ref('mart_customer_cadence') }}
),

timeline as (
    select
        customer_key,
        interaction_id,
        occurred_at,
        occurred_date,
        channel,
        responded,
        false as is_order
    from touches
    union all
    select
        customer_key,
        null as interaction_id,
        ordered_at as occurred_at,
        null as occurred_date,
        null as channel,
        null as responded,
        true as is_order
    from orders
),

with_next_order as (
    select
        *,
        min(case when is_order then occurred_at end) over (
            partition by customer_key
            order by occurred_at asc, is_order desc
            rows between 1 following and unbounded following
        ) as next_order_at
    from timeline
),

classified as (
    select
        with_next_order.channel,
        coalesce(segments.rfm_segment, 'No Purchases') as rfm_segment,
        {{ dbt.date_trunc('month', 'with_next_order.occurred_date') }} as month_start,
        with_next_order.responded,
        coalesce(
            with_next_order.next_order_at
            <= {{ dbt.dateadd('day', 7, 'with_next_order.occurred_at') }}, false
        ) as converted_7d,
        coalesce(
            with_next_order.next_order_at
            <= {{ dbt.dateadd('day', 30, 'with_next_order.occurred_at') }}, false
        ) as converted_30d
    from with_next_order
    left join segments on with_next_order.customer_key = segments.customer_key
    where not with_next_order.is_order
)

select
    {{ hash_columns(['channel', 'rfm_segment', 'month_start']) }} as channel_segment_month_id,
    channel,
    rfm_segment,
    cast(month_start as date) as month_start,
    count(*) as touches,
    count(case when responded then 1 end) as responses,
    count(case when responded then 1 end) * 1.0 / count(*) as response_rate,
    count(case when converted_7d then 1 end) as touches_with_order_7d,
    count(case when converted_30d then 1 end) as touches_with_order_30d,
    count(case when converted_7d then 1 end) * 1.0 / count(*) as conversion_rate_7d,
    count(case when converted_30d then 1 end) * 1.0 / count(*) as conversion_rate_30d,
    {{ dbt.dateadd('day', 30, dbt.last_day('cast(month_start as date)', 'month')) }}
    <= {{ as_of_date() }} as is_window_complete
from classified
group by channel, rfm_segment, month_start
