-- Contact cadence per customer as of a date (grain: customer_key, every customer except the
-- unresolved bucket); definitions in _engagement__models.yml. Built from
-- int_activity_days_sequenced (per customer and day: the sums of the daily state, each touch day
-- with its gap and burst window), for the windows' sums, the last touch and response, gaps and
-- bursts, and from small per-customer tables: p_alive and clv_decile from
-- mart_customer_lifetime_value (null without purchases).
{%- set windows = var('cadence_windows_days') %}
{%- set median_gap_window_start =
    dbt.dateadd('day', -var('median_gap_window_days'), as_of_date()) %}
{%- set burst_min_touches = var('burst_min_touches') %}
{%- set burst_window_days = var('burst_window_days') %}
{%- set burst_silence_days = var('burst_silence_days') %}
{%- set recent_burst_days = var('recent_burst_days') %}
{%- set recent_days = var('decline_recent_days') %}
{%- set prior_days = var('decline_prior_days') %}
{%- set decline_min_prior = var('decline_min_prior_interactions') %}
{%- set decline_threshold = var('decline_trend_threshold') %}
{%- set decline_min_drop_sd = var('decline_min_drop_sd') %}
{%- set longest_window_days = (windows + [recent_days + prior_days]) | max %}
{%- set burst_reach_days = burst_window_days - 1 %}
{#- the engagement expected in the recent window at the prior window's daily rate -#}
{%- set expected_recent = '(measured.engagement_prior_' ~ prior_days ~ 'd * '
    ~ recent_days ~ '.0 / ' ~ prior_days ~ ')' %}

with activity_days as (
    select
        customer_key,
        occurred_date,
        touches,
        weighted_touches,
        customer_initiated,
        engagements,
        last_touch_at,
        last_touch_channel,
        last_response_at,
        touch_gap_days,
        touches_in_burst_window,
        {{ dbt.datediff('occurred_date', as_of_date(), 'day') }}
            as days_ago
    from {{ ref('int_activity_days_sequenced') }}
    where occurred_date <= {{ as_of_date() }}
),

customers as (
    select
        customer_key,
        customer_name,
        owner_rep_id,
        {{ utc_to_local_date('first_seen_at') }} as first_seen_date
    from {{ ref('dim_customer') }}
    where not is_unresolved_bucket
),

rfm as (
    select * from {{ ref('mart_customer_rfm') }}
),

lifetime_value as (
    select * from {{ ref('mart_customer_lifetime_value') }}
),

history as (
    -- nothing before the first interaction landed is known: "never touched" is measured from here
    select min(occurred_date) as history_start_date from activity_days
),

tiers as (
    select
        tier_by_segment.rfm_segment,
        tier_by_segment.tier,
        targets.min_touches_per_30_days,
        targets.max_touches_per_30_days
    from {{ ref('tier_by_segment') }} as tier_by_segment
    inner join {{ ref('tier_cadence_targets') }} as targets
        on tier_by_segment.tier = targets.tier
),

windowed as (
    select
        customer_key,
        {%- for days in windows %}
            cast(
                sum(case when days_ago < {{ days }} then touches else 0 end)
                as {{ dbt.type_bigint() }}
            ) as touches_{{ days }}d,
            cast(
                coalesce(sum(case when days_ago < {{ days }} then weighted_touches end), 0)
                as {{ exact_decimal_type() }}
            ) as weighted_touches_{{ days }}d,
            cast(
                sum(case when days_ago < {{ days }} then customer_initiated else 0 end)
                as {{ dbt.type_bigint() }}
            ) as customer_initiated_{{ days }}d,
        {%- endfor %}
        cast(
            sum(case when days_ago < {{ recent_days }} then engagements else 0 end)
            as {{ dbt.type_bigint() }}
        ) as engagement_last_{{ recent_days }}d,
        cast(sum(
            case
                when days_ago >= {{ recent_days }} and days_ago < {{ recent_days + prior_days }}
                    then engagements
                else 0
            end
        ) as {{ dbt.type_bigint() }}) as engagement_prior_{{ prior_days }}d
    from activity_days
    where days_ago < {{ longest_window_days }}
    group by customer_key
),

recent_bursts as (
    -- a burst window that reaches past the as-of date: summed again up to it
    select
        customer_key,
        max(occurred_date) as last_burst_date
    from (
        select
            customer_key,
            occurred_date,
            touch_gap_days,
            sum(touches) over (
                partition by customer_key
                order by {{ dbt.datediff("cast('1970-01-01' as date)", 'occurred_date', 'day') }}
                range between current row and {{ burst_reach_days }} following
            ) as touches_in_burst_window
        from activity_days
        where
            touches > 0
            and occurred_date > {{ dbt.dateadd('day', -burst_reach_days, as_of_date()) }}
    ) as recent_touch_days
    where
        touch_gap_days >= {{ burst_silence_days }}
        and touches_in_burst_window >= {{ burst_min_touches }}
    group by customer_key
),

histories as (
    select
        activity_days.customer_key,
        max(activity_days.last_touch_at) as last_touch_at,
        max(case when activity_days.touches > 0 then activity_days.occurred_date end)
            as last_touch_date,
        max(case when activity_days.customer_initiated > 0 then activity_days.occurred_date end)
            as last_customer_initiated_date,
        max(activity_days.last_response_at) as last_response_at,
        {{ latest_non_null('activity_days.last_touch_channel', 'activity_days.last_touch_at') }}
            as last_touch_channel,
        median(
            case
                when
                    activity_days.touches > 0
                    and activity_days.occurred_date > {{ median_gap_window_start }}
                    then activity_days.touch_gap_days
            end
        ) as median_gap_days,
        -- the gap before the latest touch day (null: its first)
        max_by(
            activity_days.touch_gap_days,
            case when activity_days.touches > 0 then activity_days.occurred_date end
        ) as last_gap_days,
        max(
            case
                when
                    activity_days.occurred_date
                    <= {{ dbt.dateadd('day', -burst_reach_days, as_of_date()) }}
                    and activity_days.touch_gap_days >= {{ burst_silence_days }}
                    and activity_days.touches_in_burst_window >= {{ burst_min_touches }}
                    then activity_days.occurred_date
            end
        ) as settled_burst_date
    from activity_days
    group by activity_days.customer_key
),

measured as (
    select
        customers.customer_key,
        customers.customer_name,
        customers.owner_rep_id,
        coalesce(rfm.rfm_segment, 'No Purchases') as rfm_segment,
        rfm.monetary,
        rfm.m_score,
        lifetime_value.p_alive,
        lifetime_value.clv_decile,
        {%- for days in windows %}
            coalesce(windowed.touches_{{ days }}d, 0) as touches_{{ days }}d,
            coalesce(windowed.weighted_touches_{{ days }}d, 0) as weighted_touches_{{ days }}d,
            coalesce(windowed.customer_initiated_{{ days }}d, 0)
                as customer_initiated_{{ days }}d,
        {%- endfor %}
        histories.median_gap_days,
        histories.last_gap_days,
        histories.last_touch_at,
        histories.last_touch_channel,
        histories.last_response_at,
        -- day counts in 64 bits on both engines (Spark's datediff is a 32-bit int)
        cast(
            {{ dbt.datediff('histories.last_touch_date', as_of_date(), 'day') }}
            as {{ dbt.type_bigint() }}
        ) as days_since_last_touch,
        cast(
            {{ dbt.datediff('histories.last_customer_initiated_date', as_of_date(), 'day') }}
            as {{ dbt.type_bigint() }}
        ) as days_since_last_customer_initiated,
        cast({{ dbt.datediff(
            'greatest(customers.first_seen_date, history.history_start_date)',
            as_of_date(), 'day'
        ) }} as {{ dbt.type_bigint() }}) as days_observed,
        greatest(histories.settled_burst_date, recent_bursts.last_burst_date) as last_burst_date,
        coalesce(windowed.engagement_last_{{ recent_days }}d, 0)
            as engagement_last_{{ recent_days }}d,
        coalesce(windowed.engagement_prior_{{ prior_days }}d, 0)
            as engagement_prior_{{ prior_days }}d
    from customers
    cross join history
    left join rfm on customers.customer_key = rfm.customer_key
    left join lifetime_value on customers.customer_key = lifetime_value.customer_key
    left join windowed on customers.customer_key = windowed.customer_key
    left join histories on customers.customer_key = histories.customer_key
    left join recent_bursts on customers.customer_key = recent_bursts.customer_key
),

targeted as (
    select
        measured.*,
        tiers.tier,
        tiers.min_touches_per_30_days,
        tiers.max_touches_per_30_days,
        cast(30 as double) / tiers.min_touches_per_30_days as expected_gap_days,
        case
            when measured.engagement_prior_{{ prior_days }}d > 0
                then
                    (
                        cast(measured.engagement_last_{{ recent_days }}d as double)
                        / {{ recent_days }}
                    )
                    / (
                        cast(measured.engagement_prior_{{ prior_days }}d as double)
                        / {{ prior_days }}
                    )
        end as frequency_trend,
        coalesce(
            measured.engagement_prior_{{ prior_days }}d >= {{ decline_min_prior }}
            and measured.engagement_last_{{ recent_days }}d
            <= {{ decline_threshold }} * {{ expected_recent }}
            and {{ expected_recent }} - measured.engagement_last_{{ recent_days }}d
            >= {{ decline_min_drop_sd }} * sqrt({{ expected_recent }}),
            false
        ) as is_declining
    from measured
    inner join tiers on measured.rfm_segment = tiers.rfm_segment
)

select
    customer_key,
    {{ as_of_date() }} as as_of_date,
    customer_name,
    owner_rep_id,
    rfm_segment,
    tier,
    monetary,
    m_score,
    p_alive,
    clv_decile,
    {%- for days in windows %}
        touches_{{ days }}d,
        weighted_touches_{{ days }}d,
        customer_initiated_{{ days }}d,
    {%- endfor %}
    median_gap_days,
    last_gap_days,
    last_touch_at,
    last_touch_channel,
    last_response_at,
    days_since_last_touch,
    days_since_last_customer_initiated,
    days_observed,
    min_touches_per_30_days,
    max_touches_per_30_days,
    expected_gap_days,
    case
        when touches_30d > max_touches_per_30_days then 'over_contacted'
        when coalesce(days_since_last_touch, days_observed) > expected_gap_days
            then 'neglected'
        when
            coalesce(days_since_last_touch, days_observed)
            > expected_gap_days * {{ var('due_soon_fraction') }}
            then 'due_soon'
        else 'on_track'
    end as cadence_status,
    coalesce(
        last_burst_date > {{ dbt.dateadd('day', -recent_burst_days, as_of_date()) }}, false
    ) as has_recent_burst,
    last_burst_date,
    engagement_last_{{ recent_days }}d,
    engagement_prior_{{ prior_days }}d,
    frequency_trend,
    is_declining,
    case
        when is_declining
            then concat(
                'engagement fell to ',
                cast(cast(round(100 * frequency_trend) as integer) as {{ dbt.type_string() }}),
                '% of its prior rate: ',
                cast(engagement_last_{{ recent_days }}d as {{ dbt.type_string() }}),
                ' in the last {{ recent_days }} days against ',
                cast(engagement_prior_{{ prior_days }}d as {{ dbt.type_string() }}),
                ' in the {{ prior_days }} days before (',
                cast(
                    cast(
                        round(
                            engagement_prior_{{ prior_days }}d
                            * {{ recent_days }}.0
                            / {{ prior_days }}
                        )
                        as integer
                    ) as {{ dbt.type_string() }}
                ),
                ' expected)'
            )
    end as decline_reason
from targeted
