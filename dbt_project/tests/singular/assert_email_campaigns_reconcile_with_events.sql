-- Each campaign day the run changed (all of them on a full build) counts exactly its campaign's
-- messages sent that day and their events, recounted from the staged events: messages, open
-- events (people's and machine opens together), click events, and messages with a bounce or a
-- reply (returns a row per mismatch). The send day is recomputed here from the events.
-- Surfaces in Dagster as a check of mart_email_campaigns (it reads several models).
{{ config(meta={'dagster': {'ref': {'name': 'mart_email_campaigns'}}}) }}

with mart as (
    select
        campaign_id,
        send_date,
        sent,
        total_opens + machine_opens as open_events,
        total_clicks as click_events,
        bounced,
        replies
    from {{ ref('mart_email_campaigns') }}
    where {{ delivered_in_run('last_delivered_date') }}
),

events as (
    -- every event of the messages of the campaigns in scope (a campaign sends over several
    -- days, and a message's events over several more: no time bound is safe for an independent
    -- recount), also those of its events that name no or another campaign
    select
        staged.message_id,
        staged.campaign_id,
        staged.event_type,
        staged.occurred_at
    from {{ ref('stg_email__events') }} as staged
    where staged.message_id in (
        select in_campaign.message_id
        from {{ ref('stg_email__events') }} as in_campaign
        where in_campaign.campaign_id in (select mart.campaign_id from mart)
    )
),

messages as (
    select
        message_id,
        min(campaign_id) as campaign_id,
        {{ utc_to_local_date(
            "coalesce(min(case when event_type = 'sent' then occurred_at end), min(occurred_at))"
        ) }} as send_date,
        count(case when event_type = 'open' then 1 end) as open_events,
        count(case when event_type = 'click' then 1 end) as click_events,
        count(case when event_type = 'bounce' then 1 end) > 0 as is_bounced,
        count(case when event_type = 'reply' then 1 end) > 0 as is_replied
    from events
    group by message_id
),

recounted as (
    select
        campaign_id,
        send_date,
        count(*) as sent,
        sum(open_events) as open_events,
        sum(click_events) as click_events,
        count(case when is_bounced then 1 end) as bounced,
        count(case when is_replied then 1 end) as replies
    from messages
    group by campaign_id, send_date
)

select
    mart.campaign_id,
    mart.send_date,
    mart.sent,
    recounted.sent as recounted_sent,
    mart.open_events,
    recounted.open_events as recounted_open_events,
    mart.click_events,
    recounted.click_events as recounted_click_events,
    mart.bounced,
    recounted.bounced as recounted_bounced,
    mart.replies,
    recounted.replies as recounted_replies
from mart
left join recounted
    on mart.campaign_id = recounted.campaign_id and mart.send_date = recounted.send_date
where
    recounted.sent is null
    or mart.sent <> recounted.sent
    or mart.open_events <> recounted.open_events
    or mart.click_events <> recounted.click_events
    or mart.bounced <> recounted.bounced
    or mart.replies <> recounted.replies
