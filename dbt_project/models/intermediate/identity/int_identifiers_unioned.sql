-- Every identifier of every record of the identity graph, one row per record and identifier.
-- Records: each CRM customer record, each email address seen in email events, each order buyer
-- (the pair of usable identifiers on an order). last_delivered_date is the latest delivery day
-- of the staged rows behind the record: downstream models find the records a run changed by it.
-- Incremental: a run rewrites the records its staged rows touch (delete+insert on record_key). A
-- CRM record takes its latest version's identifiers; an email address or buyer extends its first
-- and last sighting with the new rows (the earlier first_seen_at of a late event included).
{{ config(unique_key='record_key') }}

with crm_customers as (
    select * from {{ ref('stg_crm__customers') }}
    {%- if is_incremental_run() %}
        where {{ changed_in_run('delivered_date') }}
    {%- endif %}
),

email_events as (
    select * from {{ ref('stg_email__events') }}
    {%- if is_incremental_run() %}
        where {{ changed_in_run('delivered_date') }}
    {%- endif %}
),

orders as (
    select * from {{ ref('stg_orders__orders') }}
    {%- if is_incremental_run() %}
        where {{ changed_in_run('delivered_date') }}
    {%- endif %}
),

crm_records as (
    select
        {{ crm_record_key('customer_id') }} as record_key,
        customer_id,
        email_address,
        phone_e164,
        wechat_id,
        created_at as first_seen_at,
        updated_at as last_seen_at,
        delivered_date as last_delivered_date
    from crm_customers
),

crm_identifiers as (
    select
        record_key,
        'crm_customer_id' as identifier_type,
        customer_id as identifier_value,
        first_seen_at,
        last_seen_at,
        last_delivered_date
    from crm_records
    union all
    select
        record_key,
        'email' as identifier_type,
        email_address as identifier_value,
        first_seen_at,
        last_seen_at,
        last_delivered_date
    from crm_records
    where email_address is not null
    union all
    select
        record_key,
        'phone' as identifier_type,
        phone_e164 as identifier_value,
        first_seen_at,
        last_seen_at,
        last_delivered_date
    from crm_records
    where phone_e164 is not null
    union all
    select
        record_key,
        'wechat_id' as identifier_type,
        wechat_id as identifier_value,
        first_seen_at,
        last_seen_at,
        last_delivered_date
    from crm_records
    where wechat_id is not null
),

email_sightings as (
    select
        {{ email_record_key('email_address') }} as record_key,
        email_address,
        occurred_at as first_seen_at,
        occurred_at as last_seen_at,
        delivered_date as last_delivered_date
    from email_events
    where email_address is not null
    {%- if is_incremental_run() %}
        union all
        select
            record_key,
            identifier_value as email_address,
            first_seen_at,
            last_seen_at,
            last_delivered_date
        from {{ this }}
        where
            record_type = 'email_address'
            and identifier_value in (select email_address from email_events)
    {%- endif %}
),

email_identifiers as (
    select
        record_key,
        'email' as identifier_type,
        email_address as identifier_value,
        min(first_seen_at) as first_seen_at,
        max(last_seen_at) as last_seen_at,
        max(last_delivered_date) as last_delivered_date
    from email_sightings
    group by record_key, email_address
),

order_sightings as (
    select
        {{ buyer_record_key('buyer_email_address', 'buyer_phone_e164') }} as record_key,
        buyer_email_address,
        buyer_phone_e164,
        ordered_at as first_seen_at,
        ordered_at as last_seen_at,
        delivered_date as last_delivered_date
    from orders
    where buyer_email_address is not null or buyer_phone_e164 is not null
),

buyer_sightings as (
    select * from order_sightings
    {%- if is_incremental_run() %}
        union all
        -- the buyer as recorded so far; its identifier rows give back the pair of its key
        select
            record_key,
            max(case when identifier_type = 'email' then identifier_value end),
            max(case when identifier_type = 'phone' then identifier_value end),
            min(first_seen_at),
            max(last_seen_at),
            max(last_delivered_date)
        from {{ this }}
        where record_key in (select record_key from order_sightings)
        group by record_key
    {%- endif %}
),

buyers as (
    select
        record_key,
        buyer_email_address,
        buyer_phone_e164,
        min(first_seen_at) as first_seen_at,
        max(last_seen_at) as last_seen_at,
        max(last_delivered_date) as last_delivered_date
    from buyer_sightings
    group by record_key, buyer_email_address, buyer_phone_e164
),

buyer_identifiers as (
    select
        record_key,
        'email' as identifier_type,
        buyer_email_address as identifier_value,
        first_seen_at,
        last_seen_at,
        last_delivered_date
    from buyers
    where buyer_email_address is not null
    union all
    select
        record_key,
        'phone' as identifier_type,
        buyer_phone_e164 as identifier_value,
        first_seen_at,
        last_seen_at,
        last_delivered_date
    from buyers
    where buyer_phone_e164 is not null
),

unioned as (
    select
        'crm_customer' as record_type,
        'crm' as source,
        *
    from crm_identifiers
    union all
    select
        'email_address' as record_type,
        'email' as source,
        *
    from email_identifiers
    union all
    select
        'order_buyer' as record_type,
        'orders' as source,
        *
    from buyer_identifiers
)

select
    {{ hash_columns(['record_key', 'identifier_type', 'identifier_value']) }}
        as record_identifier_id,
    record_key,
    record_type,
    source,
    identifier_type,
    identifier_value,
    first_seen_at,
    last_seen_at,
    last_delivered_date
from unioned
