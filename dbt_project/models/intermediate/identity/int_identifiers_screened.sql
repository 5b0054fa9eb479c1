-- One row per linking identifier (email, phone, WeChat id) with how many records use it and
-- whether it is junk: matched by the blocklist seed, or shared by more CRM records than one
-- person plausibly has (var junk_identifier_max_crm_records). Junk never links records.
-- Incremental: a run recounts the identifiers of the records it changed, over every record using
-- them (delete+insert on identifier_id).
{{ config(unique_key='identifier_id') }}
{%- set max_crm_records = var('junk_identifier_max_crm_records') %}

with all_identifiers as (
    select * from {{ ref('int_identifiers_unioned') }}
    where identifier_type <> 'crm_customer_id'
),

{% if is_incremental_run() -%}
    changed as (
        select distinct
            identifier_type,
            identifier_value
        from all_identifiers
        where {{ changed_in_run('last_delivered_date') }}
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

blocklist as (
    select * from {{ ref('identifier_blocklist') }}
),

usage as (
    select
        identifier_type,
        identifier_value,
        count(distinct case when record_type = 'crm_customer' then record_key end)
            as crm_record_count,
        count(distinct record_key) as record_count,
        min(first_seen_at) as first_seen_at,
        max(last_seen_at) as last_seen_at,
        max(last_delivered_date) as last_delivered_date
    from identifiers
    group by identifier_type, identifier_value
),

blocklisted as (
    select
        usage.identifier_type,
        usage.identifier_value,
        min(blocklist.reason) as blocklist_reason
    from usage
    inner join blocklist
        on
            usage.identifier_type = blocklist.identifier_type
            and {{ regexp_like('usage.identifier_value', 'blocklist.pattern') }}
    group by usage.identifier_type, usage.identifier_value
)

select
    {{ hash_columns(['usage.identifier_type', 'usage.identifier_value']) }} as identifier_id,
    usage.identifier_type,
    usage.identifier_value,
    usage.crm_record_count,
    usage.record_count,
    usage.first_seen_at,
    usage.last_seen_at,
    usage.last_delivered_date,
    (
        blocklisted.blocklist_reason is not null
        or usage.crm_record_count > {{ max_crm_records }}
    ) as is_junk,
    case
        when blocklisted.blocklist_reason is not null then blocklisted.blocklist_reason
        when usage.crm_record_count > {{ max_crm_records }}
            then concat(
                'shared by ', cast(usage.crm_record_count as {{ dbt.type_string() }}),
                ' CRM records (more than {{ max_crm_records }})'
            )
    end as junk_reason
from usage
left join blocklisted
    on
        usage.identifier_type = blocklisted.identifier_type
        and usage.identifier_value = blocklisted.identifier_value
