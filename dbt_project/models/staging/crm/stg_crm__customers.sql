{{ config(unique_key='customer_id') }}
-- One row per CRM customer record: its latest version (latest updated_at; ties broken by the
-- later delivery, then file and line, so the choice is deterministic).
with source as (
    select * from {{ source('crm', 'customers') }}
    {%- if is_incremental_run() %}
        where {{ restaged_in_run('customer_id') }}
    {%- endif %}
),

renamed as (
    select
        trim(customer_id) as customer_id,
        nullif(trim(name), '') as customer_name,
        nullif(trim(company), '') as company_name,
        {{ normalize_credit_code('credit_code') }} as credit_code,
        nullif(trim(phone), '') as phone,
        {{ normalize_phone('phone') }} as phone_e164,
        nullif(trim(email), '') as email,
        {{ normalize_email('email') }} as email_address,
        {{ normalize_wechat_id('wechat_id') }} as wechat_id,
        nullif(trim(owner_rep), '') as owner_rep_id,
        nullif(trim(region), '') as region,
        nullif(trim(industry), '') as industry,
        created_at,
        updated_at,
        _dt as delivered_date,
        _source_file as source_file,
        _line_number as source_line
    from source
),

versioned as (
    select
        *,
        row_number() over (
            partition by customer_id
            order by updated_at desc, delivered_date desc, source_file desc, source_line desc
        ) as version_rank
    from {{ with_staged_versions('renamed', 'customer_id') }}
)

select
    customer_id,
    customer_name,
    company_name,
    credit_code,
    phone,
    phone_e164,
    email,
    email_address,
    wechat_id,
    owner_rep_id,
    region,
    industry,
    created_at,
    updated_at,
    delivered_date,
    source_file,
    source_line
from versioned
where version_rank = 1
