-- The identity graph as integer edges for the component search: record_rank orders records by
-- first sight (the earliest record anchors its customer), link_id numbers the non-junk
-- identifiers. Every record also links to itself, so a record whose identifiers are all junk
-- still forms its own customer.
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
        min(first_seen_at) as first_seen_at
    from identifiers
    group by record_key
),

ranked_records as (
    select
        record_key,
        record_type,
        first_seen_at,
        row_number() over (order by first_seen_at, record_key) as record_rank
    from records
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
    ranked_records.record_key,
    ranked_records.record_type,
    ranked_records.first_seen_at,
    ranked_records.record_rank,
    dense_rank() over (order by links.link_value) as link_id
from links
inner join ranked_records on links.record_key = ranked_records.record_key
