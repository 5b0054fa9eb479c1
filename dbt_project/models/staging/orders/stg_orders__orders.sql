{{ config(unique_key='order_id') }}
-- One row per order in its latest state: a refund or cancellation is the same order_id re-sent
-- in a later delivery, so the latest delivery wins.
with source as (
    select * from {{ source('orders', 'orders') }}
    {%- if is_incremental_run() %}
        where {{ restaged_in_run('order_id') }}
    {%- endif %}
),

renamed as (
    select
        trim(order_id) as order_id,
        nullif(trim(buyer_email), '') as buyer_email,
        {{ normalize_email('buyer_email') }} as buyer_email_address,
        nullif(trim(buyer_phone), '') as buyer_phone,
        {{ normalize_phone('buyer_phone') }} as buyer_phone_e164,
        ordered_at,
        amount,
        currency,
        status as order_status,
        nullif(trim(channel), '') as sales_channel,
        _dt as delivered_date,
        _source_file as source_file,
        _line_number as source_line
    from source
),

versioned as (
    select
        *,
        row_number() over (
            partition by order_id
            order by delivered_date desc, source_file desc, source_line desc
        ) as version_rank
    from {{ with_staged_versions('renamed', 'order_id') }}
)

select
    order_id,
    buyer_email,
    buyer_email_address,
    buyer_phone,
    buyer_phone_e164,
    ordered_at,
    amount,
    currency,
    order_status,
    sales_channel,
    delivered_date,
    source_file,
    source_line
from versioned
where version_rank = 1
