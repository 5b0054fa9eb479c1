-- Which channels get responses and orders (grain: channel, rfm_segment, local month of the
-- touch, up to the as-of date); definitions in _interactions__models.yml. Built from the daily
-- state int_customer_days_summarised: per customer, day and channel it counts the touches, those
-- that responded and those followed by a paid order within each conversion window, split by the
-- local date of that next paid order, so that orders after the as-of date do not count.
{%- set conversion_windows = var('conversion_windows_days') %}
{%- set month_end = dbt.last_day('cast(month_start as date)', 'month') %}

with touch_days as (
    select
        customer_key,
        channel,
        {{ dbt.date_trunc('month', 'occurred_date') }} as month_start,
        touches,
        touches_responded,
        {%- for days in conversion_windows %}
            case
                when next_paid_order_date <= {{ as_of_date() }}
                    then touches_with_order_{{ days }}d
                else 0
            end as touches_with_order_{{ days }}d,
        {%- endfor %}
        next_paid_order_date
    from {{ ref('int_customer_days_summarised') }}
    where
        touches > 0
        and customer_key <> {{ unresolved_customer_key() }}
        and occurred_date <= {{ as_of_date() }}
),

segments as (
    select
        customer_key,
        rfm_segment
    from {{ ref('mart_customer_cadence') }}
),

counted as (
    select
        touch_days.channel,
        coalesce(segments.rfm_segment, 'No Purchases') as rfm_segment,
        touch_days.month_start,
        {%- for days in conversion_windows %}
            cast(sum(touch_days.touches_with_order_{{ days }}d) as {{ dbt.type_bigint() }})
                as touches_with_order_{{ days }}d,
        {%- endfor %}
        cast(sum(touch_days.touches) as {{ dbt.type_bigint() }}) as touches,
        cast(sum(touch_days.touches_responded) as {{ dbt.type_bigint() }}) as responses
    from touch_days
    left join segments on touch_days.customer_key = segments.customer_key
    group by
        touch_days.channel, coalesce(segments.rfm_segment, 'No Purchases'), touch_days.month_start
)

select
    {{ hash_columns(['channel', 'rfm_segment', 'month_start']) }} as channel_segment_month_id,
    channel,
    rfm_segment,
    cast(month_start as date) as month_start,
    touches,
    responses,
    cast(responses as double) / touches as response_rate,
    {%- for days in conversion_windows %}
        touches_with_order_{{ days }}d,
    {%- endfor %}
    {%- for days in conversion_windows %}
        cast(touches_with_order_{{ days }}d as double) / touches as conversion_rate_{{ days }}d,
    {%- endfor %}
    {{ dbt.dateadd('day', conversion_windows | max, month_end) }}
    <= {{ as_of_date() }} as is_window_complete
from counted
