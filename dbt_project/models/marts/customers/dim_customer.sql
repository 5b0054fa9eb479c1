-- One row per person (grain: customer_key) across CRM, email platform and orders, plus one row
-- for the unresolved bucket. Survivorship: name, company, owner, region and industry are the most
-- recent non-null CRM values (by updated_at, then customer_id); the primary phone and email
-- prefer a non-junk CRM value, then the most recently seen non-junk value from any source.
-- Incremental (delete+insert on customer_key): a run rebuilds the customers it re-labelled and
-- the unresolved bucket; the post-hook removes customers absorbed by a merge (a table built
-- whole holds none).
{{ config(
    unique_key='customer_key',
    post_hook="{% if is_incremental() %}
        delete from {{ this }} where not is_unresolved_bucket and customer_key not in
            (select customer_key from {{ ref('int_records_clustered') }})
        {% endif %}"
) }}
-- depends_on: {{ ref('int_records_relabelled') }}

with clustered as (
    {%- if is_incremental_run() %}
        select * from {{ ref('int_records_relabelled') }}
    {%- else %}
        select * from {{ ref('int_records_clustered') }}
    {%- endif %}
),

crm_customers as (
    select
        clustered.customer_key,
        stg.*,
        concat(cast(stg.updated_at as {{ dbt.type_string() }}), '|', stg.customer_id)
            as recency
    from {{ ref('stg_crm__customers') }} as stg
    inner join clustered on {{ crm_record_key('stg.customer_id') }} = clustered.record_key
),

customer_identifiers as (
    select * from {{ ref('bridge_customer_identifiers') }}
    {%- if is_incremental_run() %}
        where customer_key in (select customer_key from clustered)
    {%- endif %}
),

identifiers as (
    select
        *,
        concat(
            case when is_junk then '0' else '1' end,
            case when source = 'crm' then '1' else '0' end,
            cast(last_seen_at as {{ dbt.type_string() }}),
            identifier_value
        ) as preference
    from customer_identifiers
    where identifier_type in ('email', 'phone')
),

orders as (
    select * from {{ ref('int_orders_resolved') }}
),

customer_orders as (
    select * from orders
    {%- if is_incremental_run() %}
        where customer_key in (select customer_key from clustered)
    {%- endif %}
),

crm_attributes as (
    select
        customer_key,
        {{ latest_non_null('customer_name', 'recency') }} as customer_name,
        {{ latest_non_null('company_name', 'recency') }} as company_name,
        {{ latest_non_null('credit_code', 'recency') }} as credit_code,
        {{ latest_non_null('owner_rep_id', 'recency') }} as owner_rep_id,
        {{ latest_non_null('region', 'recency') }} as region,
        {{ latest_non_null('industry', 'recency') }} as industry,
        {{ sorted_string_agg('customer_id', "', '") }} as crm_customer_ids,
        count(*) as crm_record_count
    from crm_customers
    group by customer_key
),

contact_points as (
    select
        customer_key,
        {{ latest_non_null("case when identifier_type = 'phone' then identifier_value end",
                           'preference') }} as primary_phone_e164,
        {{ latest_non_null("case when identifier_type = 'email' then identifier_value end",
                           'preference') }} as primary_email_address
    from identifiers
    group by customer_key
),

coverage as (
    select
        customer_key,
        min(first_seen_at) as first_seen_at,
        max(case when record_type = 'crm_customer' then 1 else 0 end) = 1 as is_in_crm,
        max(case when record_type = 'email_address' then 1 else 0 end) = 1 as is_in_email,
        max(case when record_type = 'order_buyer' then 1 else 0 end) = 1 as is_in_orders
    from clustered
    group by customer_key
),

first_orders as (
    select
        customer_key,
        min(ordered_at) as first_order_at
    from customer_orders
    where order_status <> 'cancelled'
    group by customer_key
),

people as (
    select
        coverage.customer_key,
        crm_attributes.customer_name,
        crm_attributes.company_name,
        crm_attributes.credit_code,
        contact_points.primary_phone_e164,
        contact_points.primary_email_address,
        crm_attributes.crm_customer_ids,
        coalesce(crm_attributes.crm_record_count, 0) as crm_record_count,
        crm_attributes.owner_rep_id,
        crm_attributes.region,
        crm_attributes.industry,
        coverage.first_seen_at,
        first_orders.first_order_at,
        coverage.is_in_crm,
        coverage.is_in_email,
        coverage.is_in_orders,
        false as is_unresolved_bucket
    from coverage
    left join crm_attributes on coverage.customer_key = crm_attributes.customer_key
    left join contact_points on coverage.customer_key = contact_points.customer_key
    left join first_orders on coverage.customer_key = first_orders.customer_key
),

unresolved_bucket as (
    select
        {{ unresolved_customer_key() }} as customer_key,
        cast(null as {{ dbt.type_string() }}) as customer_name,
        cast(null as {{ dbt.type_string() }}) as company_name,
        cast(null as {{ dbt.type_string() }}) as credit_code,
        cast(null as {{ dbt.type_string() }}) as primary_phone_e164,
        cast(null as {{ dbt.type_string() }}) as primary_email_address,
        cast(null as {{ dbt.type_string() }}) as crm_customer_ids,
        0 as crm_record_count,
        cast(null as {{ dbt.type_string() }}) as owner_rep_id,
        cast(null as {{ dbt.type_string() }}) as region,
        cast(null as {{ dbt.type_string() }}) as industry,
        cast(null as {{ dbt.type_timestamp() }}) as first_seen_at,
        (
            select min(ordered_at) from orders
            where is_unresolved
        ) as first_order_at,
        false as is_in_crm,
        false as is_in_email,
        (
            select count(*) from orders
            where is_unresolved
        ) > 0 as is_in_orders,
        true as is_unresolved_bucket
)

select * from people
union all
select * from unresolved_bucket
