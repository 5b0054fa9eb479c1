-- mart_customer_lifetime_value has a row for every customer of mart_customer_rfm and no other
-- (returns the customers in one and not the other). A check of mart_customer_lifetime_value.
{{ config(meta={'dagster': {'ref': {'name': 'mart_customer_lifetime_value'}}}) }}

select
    coalesce(rfm.customer_key, lifetime_value.customer_key) as customer_key,
    rfm.customer_key is not null as in_rfm,
    lifetime_value.customer_key is not null as in_lifetime_value
from {{ ref('mart_customer_rfm') }} as rfm
full outer join {{ ref('mart_customer_lifetime_value') }} as lifetime_value
    on rfm.customer_key = lifetime_value.customer_key
where rfm.customer_key is null or lifetime_value.customer_key is null
