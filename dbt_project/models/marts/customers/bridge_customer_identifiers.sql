-- Every identifier under which a customer appears, per source: CRM customer ids, normalised
-- emails, phones and WeChat ids. A junk identifier appears under every customer that uses it.
with identifiers as (
    select * from {{ ref('int_identifiers_unioned') }}
),

clustered as (
    select * from {{ ref('int_records_clustered') }}
),

screened as (
    select * from {{ ref('int_identifiers_screened') }}
),

per_customer as (
    select
        clustered.customer_key,
        identifiers.identifier_type,
        identifiers.identifier_value,
        identifiers.source,
        min(identifiers.first_seen_at) as first_seen_at,
        max(identifiers.last_seen_at) as last_seen_at,
        count(*) as record_count
    from identifiers
    inner join clustered on identifiers.record_key = clustered.record_key
    group by
        clustered.customer_key,
        identifiers.identifier_type,
        identifiers.identifier_value,
        identifiers.source
)

select
    {{ hash_columns([
        'per_customer.customer_key', 'per_customer.identifier_type',
        'per_customer.identifier_value', 'per_customer.source'
    ]) }} as customer_identifier_id,
    per_customer.customer_key,
    per_customer.identifier_type,
    per_customer.identifier_value,
    per_customer.source,
    per_customer.first_seen_at,
    per_customer.last_seen_at,
    per_customer.record_count,
    coalesce(screened.is_junk, false) as is_junk
from per_customer
left join screened
    on
        per_customer.identifier_type = screened.identifier_type
        and per_customer.identifier_value = screened.identifier_value
