-- Review list of identifiers kept out of identity stitching (grain: identifier type and value):
-- shared mailboxes, hotlines and switchboards, with how many records they touch.
-- Incremental (delete+insert on identifier_id): a run adds or updates the identifiers it
-- recounted.
{{ config(unique_key='identifier_id') }}

with screened as (
    select * from {{ ref('int_identifiers_screened') }}
    {%- if is_incremental_run() %}
        where {{ changed_in_run('last_delivered_date') }}
    {%- endif %}
)

select
    identifier_id,
    identifier_type,
    identifier_value,
    junk_reason,
    crm_record_count,
    record_count,
    first_seen_at,
    last_seen_at
from screened
where is_junk
