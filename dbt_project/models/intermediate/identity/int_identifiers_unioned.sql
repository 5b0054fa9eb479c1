-- Every identifier of every record of the identity graph, one row per record and identifier.
-- Records: each CRM customer record, each email address seen in email events, each order buyer
-- (the pair of usable identifiers on an order).
with crm_customers as (
    select * from {{ ref('stg_crm__customers') }}
),

email_events as (
    select * from {{ ref('stg_email__events') }}
),

orders as (
    select * from {{ ref('stg_orders__orders') }}
),

crm_records as (
    select
        {{ crm_record_key('customer_id') }} as record_key,
        customer_id,
        email_address,
        phone_e164,
        wechat_id,
        created_at as first_seen_at,
        updated_at as last_seen_at
    from crm_customers
),

crm_identifiers as (
    select
        record_key,
        'crm_customer_id' as identifier_type,
        customer_id as identifier_value,
        first_seen_at,
        last_seen_at
    from crm_records
    union all
    select
        record_key,
        'email' as identifier_type,
        email_address as identifier_value,
        first_seen_at,
        last_seen_at
    from crm_records
    where email_address is not null
    union all
    select
        record_key,
        'phone' as identifier_type,
        phone_e164 as identifier_value,
        first_seen_at,
        last_seen_at
    from crm_records
    where phone_e164 is not null
    union all
    select
        record_key,
        'wechat_id' as identifier_type,
        wechat_id as identifier_value,
        first_seen_at,
        last_seen_at
    from crm_records
    where wechat_id is not null
),

email_identifiers as (
    select
        {{ email_record_key('email_address') }} as record_key,
        'email' as identifier_type,
        email_address as identifier_value,
        min(occurred_at) as first_seen_at,
        max(occurred_at) as last_seen_at
    from email_events
    where email_address is not null
    group by email_address
),

buyers as (
    select
        {{ buyer_record_key('buyer_email_address', 'buyer_phone_e164') }} as record_key,
        buyer_email_address,
        buyer_phone_e164,
        min(ordered_at) as first_seen_at,
        max(ordered_at) as last_seen_at
    from orders
    where buyer_email_address is not null or buyer_phone_e164 is not null
    group by buyer_email_address, buyer_phone_e164
),

buyer_identifiers as (
    select
        record_key,
        'email' as identifier_type,
        buyer_email_address as identifier_value,
        first_seen_at,
        last_seen_at
    from buyers
    where buyer_email_address is not null
    union all
    select
        record_key,
        'phone' as identifier_type,
        buyer_phone_e164 as identifier_value,
        first_seen_at,
        last_seen_at
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
    last_seen_at
from unioned
