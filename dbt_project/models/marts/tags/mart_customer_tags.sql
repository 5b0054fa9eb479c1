{%- set lifetime_value = var('lifetime_value_tags') %}
{%- set text = dbt.type_string() %}
{#- the signals of the intent and risk rules: rule, what is counted, its count per day in
    int_activity_days_sequenced -#}
{%- set signal_rules = [
    ('recent_click', 'email clicks', 'clicks'),
    ('recent_reply', 'email replies', 'replies'),
    ('inbound_contact', 'inbound contacts', 'inbound_contacts'),
    ('recent_meeting', 'meetings', 'meetings'),
    ('recent_visit', 'visits', 'visits'),
    ('unsubscribed', 'email unsubscribes', 'unsubscribes'),
    ('spam_report', 'email spam reports', 'spam_reports'),
    ('hard_bounce', 'email bounces', 'bounces'),
] %}
{{
    config(
        materialized='incremental',
        unique_key='customer_key',
        incremental_strategy='delete+insert',
        full_refresh=false,
        on_schema_change='fail',
        pre_hook="{% if is_incremental() %}
            delete from {{ this }} where customer_key not in (
                select customer_key from {{ ref('mart_customer_cadence') }}
            )
        {% endif %}"
    )
}}
-- Dynamic tags per customer as of a date (grain: customer_key, tag_group, tag); definitions and
-- rules in _tags__models.yml and the seed tag_rules. Built from the compact state: the as-of
-- marts mart_customer_cadence and mart_customer_rfm, and one pass over the customers'
-- activity days int_activity_days_sequenced for the dates of the intent and risk signals.
-- Incremental only to keep since_date: a run replaces every customer's tags (delete+insert on
-- customer_key: every customer has its activity tag, so the tags no longer held go with the
-- delete; its pre-hook deletes the customers no longer in mart_customer_cadence, merged away); a
-- tag held in the stored state keeps its since_date. A merge updating every row instead took
-- twice the full build. full_refresh=false: a full rebuild keeps since_date too.

with rules as (
    select * from {{ ref('tag_rules') }}
),

cadence as (
    select
        cadence.customer_key,
        cadence.tier,
        cadence.rfm_segment,
        cadence.touches_30d,
        cadence.max_touches_per_30_days,
        cadence.cadence_status,
        cadence.is_declining,
        cadence.decline_reason,
        cadence.days_observed,
        scaling.day_factor
    from {{ ref('mart_customer_cadence') }} as cadence
    inner join {{ ref('tag_tier_scaling') }} as scaling on cadence.tier = scaling.tier
),

dated as (
    select
        customer_key,
        min(occurred_date) as first_interaction_date,
        max(case when is_engaged then occurred_date end) as last_engaged_date,
        max(case when deliveries > 0 then occurred_date end) as last_delivery_date
    from {{ ref('int_activity_days_sequenced') }}
    where occurred_date <= {{ as_of_date() }}
    group by customer_key
),

signal_days as (
    -- the day's events of each signal rule, named as the rule in tag_rules; a pass over the
    -- activity days for each, not a materialized copy of them (which spilled at 50M)
    {%- for rule, noun, events in signal_rules %}
        select
            customer_key,
            {{ dbt.datediff('occurred_date', as_of_date(), 'day') }}
                as days_ago,
            occurred_date,
            '{{ rule }}' as signal_rule,
            '{{ noun }}' as noun,
            {{ events }} as events
        from {{ ref('int_activity_days_sequenced') }}
        where {{ events }} > 0 and occurred_date <= {{ as_of_date() }}
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

signals as (
    select
        signal_days.customer_key,
        rules.tag_group,
        rules.rule as tag,
        rules.window_days,
        signal_days.noun,
        sum(signal_days.events) as events,
        max(signal_days.occurred_date) as last_date
    from signal_days
    inner join rules on signal_days.signal_rule = rules.rule
    where rules.window_days is null or signal_days.days_ago < rules.window_days
    group by
        signal_days.customer_key, rules.tag_group, rules.rule, rules.window_days, signal_days.noun
),

signal_tags as (
    select
        signals.customer_key,
        signals.tag_group,
        signals.tag,
        concat(
            signals.noun, ': ', cast(signals.events as {{ text }}),
            case
                when signals.window_days is null then ' on record'
                else concat(' in the last ', cast(signals.window_days as {{ text }}), ' days')
            end,
            ', the latest on ', cast(signals.last_date as {{ text }}),
            case
                when signals.tag = 'hard_bounce'
                    then concat(
                        ', no delivery since (last delivery ',
                        coalesce(cast(dated.last_delivery_date as {{ text }}), 'never'), ')'
                    )
                else ''
            end
        ) as reason
    from signals
    inner join cadence on signals.customer_key = cadence.customer_key
    left join dated on signals.customer_key = dated.customer_key
    where
        signals.tag <> 'hard_bounce'
        or dated.last_delivery_date is null
        or dated.last_delivery_date <= signals.last_date
),

activity_limits as (
    select
        max(case when rule = 'new' then window_days end) as new_days,
        max(case when rule = 'active' then window_days end) as active_days,
        max(case when rule = 'silent' then window_days end) as silent_days,
        max(case when rule = 'dormant' then window_days end) as dormant_days
    from rules
    where tag_group = 'activity'
),

activity_measured as (
    select
        {%- for limit in ['new', 'active', 'silent', 'dormant'] %}
            cast(round(activity_limits.{{ limit }}_days * cadence.day_factor) as integer)
                as {{ limit }}_limit,
        {%- endfor %}
        cadence.customer_key,
        cadence.tier,
        dated.first_interaction_date,
        dated.last_engaged_date,
        coalesce(
            {{ dbt.datediff('dated.first_interaction_date', as_of_date(), 'day') }},
            cadence.days_observed
        ) as days_known,
        coalesce(
            {{ dbt.datediff('dated.last_engaged_date', as_of_date(), 'day') }},
            cadence.days_observed
        ) as days_silent
    from cadence
    cross join activity_limits
    left join dated on cadence.customer_key = dated.customer_key
),

activity_tags as (
    select
        customer_key,
        'activity' as tag_group,
        case
            when days_known < new_limit then 'new'
            when last_engaged_date is not null and days_silent < active_limit then 'active'
            when days_silent < silent_limit then 'silent'
            when days_silent < dormant_limit then 'dormant'
            else 'lost'
        end as tag,
        concat(
            case
                when days_known < new_limit
                    then concat(
                        case
                            when first_interaction_date is null then 'first observed '
                            else 'first interaction '
                        end,
                        cast(days_known as {{ text }}), ' days ago'
                    )
                when last_engaged_date is null
                    then concat(
                        'never engaged in ', cast(days_silent as {{ text }}), ' days observed'
                    )
                else concat(
                    'last engagement ', cast(days_silent as {{ text }}), ' days ago (',
                    cast(last_engaged_date as {{ text }}), ')'
                )
            end,
            '; tier ', tier, ' limits: new under ', coalesce(cast(new_limit as {{ text }}), '-'),
            ', active under ', cast(active_limit as {{ text }}),
            ', silent under ', cast(silent_limit as {{ text }}),
            ', dormant under ', cast(dormant_limit as {{ text }}), ' days'
        ) as reason
    from activity_measured
),

value_tags as (
    select
        cadence.customer_key,
        'value' as tag_group,
        cadence.rfm_segment as tag,
        case
            when rfm.customer_key is null then 'no paid order on or before the as-of date'
            else concat(
                'RFM ', cast(rfm.rfm_code as {{ text }}),
                ': last paid order ', cast(rfm.recency_days as {{ text }}), ' days ago, ',
                cast(rfm.frequency_orders as {{ text }}), ' orders and ',
                cast(rfm.monetary as {{ text }}), ' {{ var("reporting_currency") }} in the last ',
                '{{ var("rfm_window_days") }} days'
            )
        end as reason
    from cadence
    left join {{ ref('mart_customer_rfm') }} as rfm on cadence.customer_key = rfm.customer_key
    where
        exists (
            select 1 from rules
            where rules.rule = 'rfm_segment'
        )
    {%- if lifetime_value %}
        union all
        select
            lifetime_value.customer_key,
            'value' as tag_group,
            concat('clv_decile_', cast(lifetime_value.clv_decile as {{ text }})) as tag,
            concat(
                'lifetime value in decile ', cast(lifetime_value.clv_decile as {{ text }}),
                ' of 10 (mart_customer_lifetime_value)'
            ) as reason
        from {{ ref('mart_customer_lifetime_value') }} as lifetime_value
        inner join cadence on lifetime_value.customer_key = cadence.customer_key
        where
            lifetime_value.clv_decile is not null
            and exists (
                select 1 from rules
                where rules.rule = 'clv_decile'
            )
    {%- endif %}
),

cadence_risk_tags as (
    select
        cadence.customer_key,
        'risk' as tag_group,
        rules.rule as tag,
        case
            when rules.rule = 'declining' then cadence.decline_reason
            else concat(
                cast(cadence.touches_30d as {{ text }}),
                ' touches in the last 30 days, above the tier ', cadence.tier, ' maximum of ',
                cast(cadence.max_touches_per_30_days as {{ text }})
            )
        end as reason
    from cadence
    inner join rules
        on
            (rules.rule = 'declining' and cadence.is_declining)
            or (rules.rule = 'over_contacted' and cadence.cadence_status = 'over_contacted')
    {%- if lifetime_value %}
        union all
        select
            lifetime_value.customer_key,
            'risk' as tag_group,
            rules.rule as tag,
            concat(
                'P(alive) ', cast(round(lifetime_value.p_alive, 3) as {{ text }}),
                ' below ', cast(rules.threshold as {{ text }})
            ) as reason
        from {{ ref('mart_customer_lifetime_value') }} as lifetime_value
        inner join cadence on lifetime_value.customer_key = cadence.customer_key
        inner join rules
            on rules.rule = 'low_p_alive' and lifetime_value.p_alive < rules.threshold
    {%- endif %}
),

tags as (
    select * from activity_tags
    union all
    select * from value_tags
    union all
    select * from signal_tags
    union all
    select * from cadence_risk_tags
),

keyed as (
    select
        {{ hash_columns(['customer_key', 'tag_group', 'tag']) }} as customer_tag_id,
        customer_key,
        {{ as_of_date() }} as as_of_date,
        tag_group,
        tag,
        reason
    from tags
)

{% if is_incremental() %}
    select
        keyed.customer_tag_id,
        keyed.customer_key,
        keyed.as_of_date,
        keyed.tag_group,
        keyed.tag,
        -- held in the stored state (the previous run's, or this day's again): held since then;
        -- a stored date after the as-of date (an earlier day run again) cannot be
        case
            when stored.since_date <= keyed.as_of_date then stored.since_date
            else keyed.as_of_date
        end as since_date,
        keyed.reason
    from keyed
    left join {{ this }} as stored on keyed.customer_tag_id = stored.customer_tag_id
{% else %}
    select
        customer_tag_id,
        customer_key,
        as_of_date,
        tag_group,
        tag,
        as_of_date as since_date,
        reason
    from keyed
{% endif %}
