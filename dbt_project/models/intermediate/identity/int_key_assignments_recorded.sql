{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        full_refresh=false,
        on_schema_change='fail'
    )
}}
-- Which customer each identity record belongs to, as runs saw it (grain: record_key,
-- assigned_at): a record's first assignment, then a row whenever a run gives it another key.
-- Append-only, so it keeps the history a rebuild from the data cannot restore: full rebuilds
-- (full_refresh=false) and Spark (Parquet can append) append to it like any run. Definitions in
-- _identity__models.yml.
-- depends_on: {{ ref('int_records_clustered') }} {{ ref('int_records_relabelled') }}

{%- set legacy_snapshot = none if is_incremental() else adapter.get_relation(
    database=this.database, schema='snapshots', identifier='snap_customer_key_assignments'
) %}

with checked as (
    -- a run checks the records it re-labelled; the first build, every record
    select
        record_key,
        customer_key
    from {{ ref('int_records_relabelled') if is_incremental() else ref('int_records_clustered') }}
),

recorded as (
    {% if is_incremental() -%}
        select
            record_key,
            customer_key,
            assigned_at
        from {{ this }}
        where record_key in (select checked.record_key from checked)
    {%- elif legacy_snapshot is not none -%}
        -- upgrading a warehouse built before this model: the history dbt's snapshot kept
        select
            record_key,
            customer_key,
            cast(dbt_valid_from as {{ dbt.type_timestamp() }}) as assigned_at
        from {{ legacy_snapshot }}
    {%- else -%}
        select
            cast(null as {{ dbt.type_string() }}) as record_key,
            cast(null as {{ dbt.type_string() }}) as customer_key,
            cast(null as {{ dbt.type_timestamp() }}) as assigned_at
        from checked
        where false
    {%- endif %}
),

latest as (
    select
        record_key,
        customer_key
    from (
        select
            record_key,
            customer_key,
            row_number() over (partition by record_key order by assigned_at desc) as recency
        from recorded
    ) as ranked
    where recency = 1
),

assigned_now as (
    select
        checked.record_key,
        checked.customer_key,
        cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}' as {{ dbt.type_timestamp() }})
            as assigned_at
    from checked
    left join latest on checked.record_key = latest.record_key
    where latest.record_key is null or latest.customer_key <> checked.customer_key
)

select
    {{ hash_columns(['record_key', 'assigned_at']) }} as record_assignment_id,
    record_key,
    customer_key,
    assigned_at
from (
    {% if legacy_snapshot is not none -%}
        select * from recorded
        union all
    {% endif -%}
    select * from assigned_now
) as assignments
