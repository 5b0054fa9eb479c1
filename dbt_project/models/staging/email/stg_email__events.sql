{{ config(unique_key='event_id') }}
-- One row per webhook event. The email platform delivers at least once: copies of an event_id
-- collapse to the first delivery (a re-delivery the next day must not move the event's day).
with source as (
    select * from {{ source('email', 'events') }}
    {%- if is_incremental_run() %}
        where {{ restaged_in_run('event_id') }}
    {%- endif %}
),

renamed as (
    select
        trim(event_id) as event_id,
        event_type,
        trim(email) as email,
        {{ normalize_email('email') }} as email_address,
        nullif(trim(campaign_id), '') as campaign_id,
        trim(message_id) as message_id,
        occurred_at,
        nullif(trim(url), '') as url,
        _dt as delivered_date,
        _source_file as source_file,
        _line_number as source_line
    from source
),

versioned as (
    select
        *,
        row_number() over (
            partition by event_id
            order by delivered_date asc, source_file asc, source_line asc
        ) as delivery_rank
    from {{ with_staged_versions('renamed', 'event_id') }}
)

select
    event_id,
    event_type,
    email,
    email_address,
    campaign_id,
    message_id,
    occurred_at,
    url,
    delivered_date,
    source_file,
    source_line
from versioned
where delivery_rank = 1
