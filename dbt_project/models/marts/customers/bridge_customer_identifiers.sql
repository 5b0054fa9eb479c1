-- Every identifier under which a customer appears, per source: CRM customer ids, normalised
-- emails, phones and WeChat ids. A junk identifier appears under every customer that uses it.
-- Incremental (delete+insert by identifier): a run rewrites every row of the identifiers of the
-- records it re-labelled, so rows of a customer absorbed by a merge go with them.
{{ config(unique_key=['identifier_type', 'identifier_value']) }}
-- depends_on: {{ ref('int_records_relabelled') }}

with all_identifiers as (
    select * from {{ ref('int_identifiers_unioned') }}
),

clustered as (
    select * from {{ ref('int_records_clustered') }}
),

{% if is_incremental_run() -%}
    changed as (
        select distinct
            all_identifiers.identifier_type,
            all_identifiers.identifier_value
        from all_identifiers
        inner join {{ ref('int_records_relabelled') }} as relabelled
            on all_identifiers.record_key = relabelled.record_key
    ),

    identifiers as (
        select all_identifiers.*
        from all_identifiers
        inner join changed
            on
                all_identifiers.identifier_type = changed.identifier_type
                and all_identifiers.identifier_value = changed.identifier_value
    ),
{%- else -%}
    identifiers as (
        select * from all_identifiers
    ),
{%- endif %}

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
