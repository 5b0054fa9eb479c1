{{
    config(
        materialized='incremental',
        unique_key='message_id',
        incremental_strategy='merge',
        on_schema_change='fail'
    )
}}
-- One row per email message with what its events say (grain: message_id); definitions in
-- _email__models.yml. The compact state mart_email_campaigns sums, so that no run reads every
-- email event. Incremental (merge on message_id): a run recomputes the messages that got an
-- event on its delivery days, from all their events. Those were delivered on the run's days or
-- between the first and the last delivery day the stored row recorded: the events are read by
-- joining those days, so the scan skips every other day's events (a late event of an old
-- message widens the days to read, and the cost with them).

with
{% if is_incremental_run() %}
    run_events as {{ materialized_cte() }} (
        -- open-ended, as changed_in_run says: re-running a past day recomputes later messages too
        select
            message_id,
            delivered_date
        from {{ ref('stg_email__events') }}
        where {{ changed_in_run('delivered_date') }}
    ),

    stored as {{ materialized_cte() }} (
        select
            message_id,
            campaign_id,
            send_date,
            first_delivered_date,
            last_delivered_date
        from {{ this }}
        where message_id in (select message_id from run_events)
    ),

    delivery_window as (
        select
            least(
                min(run_events.delivered_date),
                coalesce(min(stored.first_delivered_date), min(run_events.delivered_date))
            ) as first_day,
            greatest(
                max(run_events.delivered_date),
                coalesce(max(stored.last_delivered_date), max(run_events.delivered_date))
            ) as last_day
        from run_events
        left join stored on run_events.message_id = stored.message_id
    ),

    delivery_days as {{ materialized_cte() }} (
        {{ day_spine(
            '(select first_day from delivery_window)', '(select last_day from delivery_window)'
        ) }}
    ),

    events as (
        select
            staged.message_id,
            staged.event_type,
            staged.campaign_id,
            staged.occurred_at,
            staged.delivered_date
        from {{ ref('stg_email__events') }} as staged
        inner join delivery_days on staged.delivered_date = delivery_days.day
        where staged.message_id in (select message_id from run_events)
    ),
{% else %}
    events as (
        select
            message_id,
            event_type,
            campaign_id,
            occurred_at,
            delivered_date
        from {{ ref('stg_email__events') }}
    ),
{% endif %}

messages as (
    select
        message_id,
        min(campaign_id) as campaign_id,
        coalesce(
            min(case when event_type = 'sent' then occurred_at end), min(occurred_at)
        ) as sent_at,
        min(case when event_type = 'delivered' then occurred_at end) as delivered_at,
        min(delivered_date) as first_delivered_date,
        max(delivered_date) as last_delivered_date
    from events
    group by message_id
),

classified as (
    select
        events.message_id,
        events.event_type,
        events.event_type = 'open'
        and {{ is_machine_open('events.occurred_at', 'messages.delivered_at') }}
            as is_machine_open
    from events
    inner join messages on events.message_id = messages.message_id
),

counted as (
    select
        message_id,
        count(case when event_type = 'open' and not is_machine_open then 1 end) as opens,
        count(case when is_machine_open then 1 end) as machine_opens,
        count(case when event_type = 'click' then 1 end) as clicks,
        count(case when event_type = 'delivered' then 1 end) > 0 as has_delivered_event,
        count(case when event_type = 'bounce' then 1 end) > 0 as is_bounced,
        count(case when event_type = 'reply' then 1 end) > 0 as is_replied,
        count(case when event_type = 'unsubscribe' then 1 end) > 0 as is_unsubscribed,
        count(case when event_type = 'spam_report' then 1 end) > 0 as is_spam_reported
    from classified
    group by message_id
)

select
    messages.message_id,
    messages.campaign_id,
    messages.sent_at,
    {{ utc_to_local_date('messages.sent_at') }} as send_date,
    messages.delivered_at,
    -- engagement proves delivery when the delivered event itself never arrived
    counted.has_delivered_event
    or counted.opens + counted.machine_opens + counted.clicks > 0
    or counted.is_replied
    or counted.is_unsubscribed
    or counted.is_spam_reported as is_delivered,
    counted.is_bounced,
    counted.opens,
    counted.machine_opens,
    -- a click proves a person opened the message, even with images blocked
    counted.opens + counted.clicks > 0 as is_opened,
    counted.opens + counted.machine_opens + counted.clicks > 0 as is_opened_including_machine,
    counted.clicks,
    counted.clicks > 0 as is_clicked,
    counted.is_replied,
    counted.is_unsubscribed,
    counted.is_spam_reported,
    messages.first_delivered_date,
    messages.last_delivered_date,
    {%- if is_incremental_run() %}
        stored.campaign_id as previous_campaign_id,
        stored.send_date as previous_send_date
    {%- else %}
        cast(null as {{ dbt.type_string() }}) as previous_campaign_id,
        cast(null as date) as previous_send_date
    {%- endif %}
from messages
inner join counted on messages.message_id = counted.message_id
{%- if is_incremental_run() %}
    left join stored on messages.message_id = stored.message_id
{%- endif %}
