-- Every email event with its customer_key, through the recipient's address; an event whose
-- address is not an address at all goes to the unresolved bucket.
-- Incremental (delete+insert on event_id): a run resolves the events it staged, and re-keys the
-- earlier ones whose address changed customer (a merge).
-- Each row carries the run that wrote it (computed_for_run_day), and a daily run's tests check
-- those rows; on a table built before the column, the column is appended, null on older rows.
{{ config(unique_key='event_id', on_schema_change='append_new_columns') }}
-- depends_on: {{ ref('int_records_relabelled') }}

with staged as (
    select
        event_id,
        email_address,
        event_type,
        campaign_id,
        message_id,
        occurred_at,
        url
    from {{ ref('stg_email__events') }}
    {%- if is_incremental_run() %}
        where {{ changed_in_run('delivered_date') }}
    {%- endif %}
),

{% if is_incremental_run() -%}
    rekeyed as (
        select
            existing.event_id,
            existing.email_address,
            existing.event_type,
            existing.campaign_id,
            existing.message_id,
            existing.occurred_at,
            existing.url
        from {{ this }} as existing
        inner join {{ ref('int_records_relabelled') }} as relabelled
            on {{ email_record_key('existing.email_address') }} = relabelled.record_key
        where
            existing.customer_key <> relabelled.customer_key
            and existing.event_id not in (select event_id from staged)
    ),

    email_events as (
        select * from staged
        union all
        select * from rekeyed
    ),
{%- else -%}
    email_events as (
        select * from staged
    ),
{%- endif %}

clustered as (
    select * from {{ ref('int_records_clustered') }}
)

select
    email_events.event_id,
    coalesce(clustered.customer_key, {{ unresolved_customer_key() }}) as customer_key,
    clustered.customer_key is null as is_unresolved,
    email_events.email_address,
    email_events.event_type,
    email_events.campaign_id,
    email_events.message_id,
    email_events.occurred_at,
    email_events.url,
    {{ run_day_marker() }} as computed_for_run_day
from email_events
left join clustered
    on {{ email_record_key('email_events.email_address') }} = clustered.record_key
