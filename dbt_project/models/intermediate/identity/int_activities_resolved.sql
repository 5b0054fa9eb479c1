-- Every CRM activity with its customer_key, through the CRM record it was logged against; an
-- activity for a CRM customer_id never delivered in crm/customers goes to the unresolved bucket.
with activities as (
    select * from {{ ref('stg_crm__activities') }}
),

clustered as (
    select * from {{ ref('int_records_clustered') }}
)

select
    activities.activity_id,
    coalesce(clustered.customer_key, {{ unresolved_customer_key() }}) as customer_key,
    clustered.customer_key is null as is_unresolved,
    activities.customer_id,
    activities.rep_id,
    activities.activity_type,
    activities.direction,
    activities.occurred_at,
    activities.duration_seconds,
    activities.outcome,
    activities.subject
from activities
left join clustered
    on {{ crm_record_key('activities.customer_id') }} = clustered.record_key
