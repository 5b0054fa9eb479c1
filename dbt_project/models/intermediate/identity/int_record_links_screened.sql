-- The identity graph's edges: each record with each of its non-junk identifiers as a link value,
-- plus a link to itself, so a record whose identifiers are all junk still forms its own customer.
-- A view: int_records_clustered reads all of it on a full build and only the links around the
-- changed records on an incremental run, and junk screening is always the current one.
{{ config(materialized='view') }}

with identifiers as (
    select * from {{ ref('int_identifiers_unioned') }}
),

screened as (
    select * from {{ ref('int_identifiers_screened') }}
),

records as (
    select
        record_key,
        min(record_type) as record_type,
        min(first_seen_at) as first_seen_at,
        max(last_delivered_date) as last_delivered_date
    from identifiers
    group by record_key
),

links as (
    select
        identifiers.record_key,
        concat(identifiers.identifier_type, ':', identifiers.identifier_value) as link_value
    from identifiers
    left join screened
        on
            identifiers.identifier_type = screened.identifier_type
            and identifiers.identifier_value = screened.identifier_value
    where not coalesce(screened.is_junk, false)
    union all
    select
        record_key,
        concat('record:', record_key) as link_value
    from records
)

select
    {{ hash_columns(['links.record_key', 'links.link_value']) }} as record_link_id,
    records.record_key,
    records.record_type,
    records.first_seen_at,
    records.last_delivered_date,
    links.link_value
from links
inner join records on links.record_key = records.record_key
