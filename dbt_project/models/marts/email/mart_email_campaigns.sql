{%- set counts = [
    'sent', 'delivered', 'bounced', 'unique_opens', 'total_opens', 'machine_opens',
    'unique_opens_including_machine', 'unique_clicks', 'total_clicks', 'replies',
    'unsubscribes', 'spam_reports'
] %}
{{
    config(
        materialized='incremental',
        unique_key='campaign_send_day_id',
        incremental_strategy='merge',
        merge_clauses={
            'when_matched': [
                {'condition': 'DBT_INTERNAL_SOURCE.sent = 0', 'action': 'delete'},
                {'action': 'update', 'mode': 'by_name'}
            ],
            'when_not_matched': [
                {'condition': 'DBT_INTERNAL_SOURCE.sent > 0', 'action': 'insert', 'mode': 'by_name'}
            ]
        },
        on_schema_change='fail'
    )
}}
-- Email campaigns per local send day (grain: campaign_id, send_date); definitions in
-- _email__models.yml. Summed from the message state int_email_messages_summarised, never from
-- the events. Incremental (merge): a run recomputes the campaign days of the messages it
-- changed (under their key now and the key they had before), and deletes those left without a
-- message.

with
{% if is_incremental_run() %}
    changed_keys as {{ materialized_cte() }} (
        select
            campaign_id,
            send_date
        from {{ ref('int_email_messages_summarised') }}
        where {{ changed_in_run('last_delivered_date') }} and campaign_id is not null
        union
        select
            previous_campaign_id as campaign_id,
            previous_send_date as send_date
        from {{ ref('int_email_messages_summarised') }}
        where {{ changed_in_run('last_delivered_date') }} and previous_campaign_id is not null
    ),

    messages as (
        select messages.*
        from {{ ref('int_email_messages_summarised') }} as messages
        -- a hash join: DuckDB prunes the scan to the changed keys' send days (the join's
        -- dynamic filter), where a comparison with a subquery would read every message
        inner join changed_keys
            on
                messages.campaign_id = changed_keys.campaign_id
                and messages.send_date = changed_keys.send_date
    ),
{% else %}
    messages as (
        select * from {{ ref('int_email_messages_summarised') }}
        where campaign_id is not null
    ),
{% endif %}

counted as (
    select
        campaign_id,
        send_date,
        count(*) as sent,
        count(case when is_delivered then 1 end) as delivered,
        count(case when is_bounced then 1 end) as bounced,
        count(case when is_opened then 1 end) as unique_opens,
        sum(opens) as total_opens,
        sum(machine_opens) as machine_opens,
        count(case when is_opened_including_machine then 1 end)
            as unique_opens_including_machine,
        count(case when is_clicked then 1 end) as unique_clicks,
        sum(clicks) as total_clicks,
        count(case when is_replied then 1 end) as replies,
        count(case when is_unsubscribed then 1 end) as unsubscribes,
        count(case when is_spam_reported then 1 end) as spam_reports,
        max(last_delivered_date) as last_delivered_date
    from messages
    group by campaign_id, send_date
),

{% if is_incremental_run() %}
    retracted as (
        -- a campaign day in scope without a message left: a zero row, which the merge deletes
        select
            changed_keys.campaign_id,
            changed_keys.send_date,
            {%- for column in counts %}
                0 as {{ column }},
            {%- endfor %}
            cast(null as date) as last_delivered_date
        from changed_keys
        left join counted
            on
                changed_keys.campaign_id = counted.campaign_id
                and changed_keys.send_date = counted.send_date
        where counted.campaign_id is null
    ),

    campaign_days as (
        select * from counted
        union all
        select * from retracted
    )
{% else %}
    campaign_days as (
        select * from counted
    )
{% endif %}

select
    {{ hash_columns(['campaign_id', 'send_date']) }} as campaign_send_day_id,
    campaign_id,
    send_date,
    {%- for column in counts %}
        cast({{ column }} as {{ dbt.type_bigint() }}) as {{ column }},
    {%- endfor %}
    cast(delivered as double) / nullif(sent, 0) as delivery_rate,
    cast(bounced as double) / nullif(sent, 0) as bounce_rate,
    cast(unique_opens as double) / nullif(delivered, 0) as open_rate,
    cast(unique_opens_including_machine as double) / nullif(delivered, 0)
        as open_rate_including_machine,
    cast(machine_opens as double) / nullif(total_opens + machine_opens, 0) as machine_open_share,
    cast(unique_clicks as double) / nullif(delivered, 0) as click_rate,
    cast(unique_clicks as double) / nullif(unique_opens, 0) as click_to_open_rate,
    cast(replies as double) / nullif(delivered, 0) as reply_rate,
    cast(unsubscribes as double) / nullif(delivered, 0) as unsubscribe_rate,
    cast(spam_reports as double) / nullif(delivered, 0) as spam_report_rate,
    last_delivered_date
from campaign_days
