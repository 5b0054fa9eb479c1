-- Every email event with its customer_key, through the recipient's address; an event whose
-- address is not an address at all goes to the unresolved bucket.
with email_events as (
    select * from {{ ref('stg_email__events') }}
),

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
    email_events.url
from email_events
left join clustered
    on {{ email_record_key('email_events.email_address') }} = clustered.record_key
