-- Contact cadence per customer as of a date (grain: customer_key, every customer except the
-- unresolved bucket). Windows are trailing days ending on the as-of date (local dates): 7d is
-- the as-of day and the 6 before. A touch is an outbound interaction that counts as contact
-- (seed interaction_weights); customer-initiated means an inbound activity or an order.
-- cadence_status compares the customer with their tier's target (seed tier_cadence_targets,
-- tier from seed tier_by_segment; customers without purchases are 'No Purchases'):
--   over_contacted  more touches in 30 days than the tier's maximum;
--   neglected       the last touch (or, never touched, the start of what we observed of the
--                   customer) is older than the expected gap (30 / minimum touches per 30 days);
--   due_soon        the last touch is older than var due_soon_fraction (0.75) of that gap;
--   on_track        otherwise.
-- A burst is >= var burst_min_touches (5) touches within var burst_window_days (3) days that
-- start after >= var burst_silence_days (60) days without a touch. frequency_trend is the daily
-- rate of engagement in the last 30 days over the rate in the 90 days before; engagement is
-- touches, responses and customer-initiated interactions, leaving out touches on channels in var
-- decline_excluded_touch_channels (email: campaign sends follow the marketing calendar, not the
-- relationship; opens, clicks and replies still count). Declining (the churn-risk signal) needs
-- all three: a real prior rate (>= var decline_min_prior_interactions in 90 days), a trend <= var
-- decline_trend_threshold, and a drop below the expected count (prior / 3) of at least var
-- decline_min_drop_sd standard deviations of that count (Poisson: its square root), so small
-- numbers do not flag by chance.
-- p_alive and clv_decile come from mart_customer_lifetime_value (null without purchases).
{%- set windows = [7, 30, 90, 180] %}
{%- set burst_min_touches = var('burst_min_touches', 5) %}
{%- set burst_window_days = var('burst_window_days', 3) %}
{%- set burst_silence_days = var('burst_silence_days', 60) %}
{%- set decline_min_prior = var('decline_min_prior_interactions', 6) %}
{%- set decline_threshold = var('decline_trend_threshold', 0.5) %}
{%- set decline_min_drop_sd = var('decline_min_drop_sd', 1) %}
{%- set excluded_channels = var('decline_excluded_touch_channels', ['email']) %}

with interactions as (
    select
        customer_key,
        occurred_at,
        occurred_date,
        channel,
        is_touch,
        is_response,
        is_customer_initiated,
        weight,
        (
            is_response
            or is_customer_initiated
            or (is_touch and channel not in ('{{ excluded_channels | join("', '") }}'))
        ) as is_engagement,
        {{ dbt.datediff('occurred_date', as_of_date(), 'day') }}
            as days_ago
    from {{ ref('fct_interactions') }}
    where not is_unresolved and occurred_date <= {{ as_of_date() }}
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
    select min(occurred_date) as history_start_date from interactions
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
            count(case when is_touch and days_ago < {{ days }} then 1 end)
                as touches_{{ days }}d,
            cast(
                coalesce(sum(case when is_touch and days_ago < {{ days }} then weight end), 0)
                as {{ exact_decimal_type() }}
            ) as weighted_touches_{{ days }}d,
            count(case when is_customer_initiated and days_ago < {{ days }} then 1 end)
                as customer_initiated_{{ days }}d,
        {%- endfor %}
        count(case when is_engagement and days_ago < 30 then 1 end) as engagement_last_30d,
        count(case when is_engagement and days_ago >= 30 and days_ago < 120 then 1 end)
            as engagement_prior_90d,
        max(case when is_touch then occurred_at end) as last_touch_at,
        max(case when is_touch then occurred_date end) as last_touch_date,
        max(case when is_customer_initiated then occurred_date end)
            as last_customer_initiated_date,
        max(case when is_response then occurred_at end) as last_response_at
    from interactions
    group by customer_key
),

touch_days as (
    select
        customer_key,
        occurred_date,
        {{ dbt.datediff("cast('1970-01-01' as date)", 'occurred_date', 'day') }}
            as day_number,
        count(*) as touches
    from interactions
    where is_touch
    group by customer_key, occurred_date
),

touch_gaps as (
    select
        customer_key,
        occurred_date,
        touches,
        day_number - lag(day_number) over (
            partition by customer_key order by day_number
        ) as gap_days,
        sum(touches) over (
            partition by customer_key
            order by day_number
            range between current row and {{ burst_window_days - 1 }} following
        ) as touches_in_burst_window
    from touch_days
),

gap_summary as (
    select
        customer_key,
        {{ median('case when occurred_date > ' ~ dbt.dateadd('day', -365, as_of_date())
            ~ ' then gap_days end') }} as median_gap_days,
        max(
            case
                when
                    gap_days >= {{ burst_silence_days }}
                    and touches_in_burst_window >= {{ burst_min_touches }}
                    then occurred_date
            end
        ) as last_burst_date
    from touch_gaps
    group by customer_key
),

last_gaps as (
    select
        customer_key,
        gap_days as last_gap_days
    from touch_gaps
    where
        gap_days is not null
        and occurred_date = (
            select max(later.occurred_date)
            from touch_days as later
            where later.customer_key = touch_gaps.customer_key
        )
),

last_touch_channels as (
    select
        customer_key,
        {{ latest_non_null('channel', 'occurred_at') }} as last_touch_channel
    from interactions
    where is_touch
    group by customer_key
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
        gap_summary.median_gap_days,
        last_gaps.last_gap_days,
        windowed.last_touch_at,
        last_touch_channels.last_touch_channel,
        windowed.last_response_at,
        {{ dbt.datediff('windowed.last_touch_date', as_of_date(), 'day') }}
            as days_since_last_touch,
        {{ dbt.datediff('windowed.last_customer_initiated_date', as_of_date(), 'day') }}
            as days_since_last_customer_initiated,
        {{ dbt.datediff(
            'greatest(customers.first_seen_date, history.history_start_date)',
            as_of_date(), 'day'
        ) }} as days_observed,
        gap_summary.last_burst_date,
        coalesce(windowed.engagement_last_30d, 0) as engagement_last_30d,
        coalesce(windowed.engagement_prior_90d, 0) as engagement_prior_90d
    from customers
    cross join history
    left join rfm on customers.customer_key = rfm.customer_key
    left join lifetime_value on customers.customer_key = lifetime_value.customer_key
    left join windowed on customers.customer_key = windowed.customer_key
    left join gap_summary on customers.customer_key = gap_summary.customer_key
    left join last_gaps on customers.customer_key = last_gaps.customer_key
    left join last_touch_channels on customers.customer_key = last_touch_channels.customer_key
),

targeted as (
    select
        measured.*,
        tiers.tier,
        tiers.min_touches_per_30_days,
        tiers.max_touches_per_30_days,
        30.0 / tiers.min_touches_per_30_days as expected_gap_days,
        case
            when measured.engagement_prior_90d > 0
                then
                    (measured.engagement_last_30d / 30.0)
                    / (measured.engagement_prior_90d / 90.0)
        end as frequency_trend,
        coalesce(
            measured.engagement_prior_90d >= {{ decline_min_prior }}
            and measured.engagement_last_30d
            <= {{ decline_threshold }} * measured.engagement_prior_90d / 3.0
            and measured.engagement_prior_90d / 3.0 - measured.engagement_last_30d
            >= {{ decline_min_drop_sd }} * sqrt(measured.engagement_prior_90d / 3.0),
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
            > expected_gap_days * {{ var('due_soon_fraction', 0.75) }}
            then 'due_soon'
        else 'on_track'
    end as cadence_status,
    coalesce(
        last_burst_date > {{ dbt.dateadd('day', -180, as_of_date()) }}, false
    ) as has_recent_burst,
    last_burst_date,
    engagement_last_30d,
    engagement_prior_90d,
    frequency_trend,
    is_declining,
    case
        when is_declining
            then concat(
                'engagement fell to ',
                cast(cast(round(100 * frequency_trend) as integer) as {{ dbt.type_string() }}),
                '% of its prior rate: ',
                cast(engagement_last_30d as {{ dbt.type_string() }}),
                ' in the last 30 days against ',
                cast(engagement_prior_90d as {{ dbt.type_string() }}),
                ' in the 90 days before (',
                cast(cast(round(engagement_prior_90d / 3.0) as integer) as {{ dbt.type_string() }}),
                ' expected)'
            )
    end as decline_reason
from targeted
