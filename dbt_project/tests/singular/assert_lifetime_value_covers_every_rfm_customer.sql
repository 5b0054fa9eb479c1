-- mart_customer_lifetime_value has a row for every customer of mart_customer_rfm and no other
-- (returns the customers in one and not the other), once both models of the as-of date are
-- fitted; while one is not (too little data), it has no rows at all. A check of
-- mart_customer_lifetime_value.
{{ config(meta={'dagster': {'ref': {'name': 'mart_customer_lifetime_value'}}}) }}

with valued_as_of as (
    -- the customers of mart_customer_rfm that must be valued
    select rfm.customer_key
    from {{ ref('mart_customer_rfm') }} as rfm
    where not exists (
        select 1 from {{ ref('mart_clv_model_fit') }} as fits
        where fits.as_of_date = {{ as_of_date() }} and fits.status <> 'fitted'
    )
)

select
    coalesce(valued_as_of.customer_key, lifetime_value.customer_key) as customer_key,
    valued_as_of.customer_key is not null as in_rfm,
    lifetime_value.customer_key is not null as in_lifetime_value
from valued_as_of
full outer join {{ ref('mart_customer_lifetime_value') }} as lifetime_value
    on valued_as_of.customer_key = lifetime_value.customer_key
where valued_as_of.customer_key is null or lifetime_value.customer_key is null
