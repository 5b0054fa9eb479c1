-- Customer keys that changed between runs (grain: previous_customer_key, customer_key,
-- changed_at): when new data links two people's records, the later-anchored key's records move
-- to the surviving key. Nothing merges silently: every move is listed with its record count.
-- Incremental: a run appends the changes int_key_assignments_recorded recorded since the latest
-- one listed here; that history survives full rebuilds, so a full rebuild lists it again.
{{ config(unique_key='customer_merge_id') }}

with moves as (
    select
        record_key,
        previous_customer_key,
        customer_key,
        assigned_at as changed_at
    from (
        select
            record_key,
            customer_key,
            assigned_at,
            lag(customer_key) over (
                partition by record_key order by assigned_at
            ) as previous_customer_key
        from {{ ref('int_key_assignments_recorded') }}
    ) as assignments
    -- a record's first assignment is no move; each later one is a change of key
    where previous_customer_key is not null
),

{% if is_incremental() -%}
    unlisted_moves as (
        select * from moves
        where changed_at > (
            select coalesce(max(changed_at), {{ dbt.cast("'1900-01-01'", dbt.type_timestamp()) }})
            from {{ this }}
        )
    ),
{%- else -%}
    unlisted_moves as (
        select * from moves
    ),
{%- endif %}

per_change as (
    select
        previous_customer_key,
        customer_key,
        changed_at,
        count(*) as records_moved
    from unlisted_moves
    group by previous_customer_key, customer_key, changed_at
)

select
    {{ hash_columns(['previous_customer_key', 'customer_key', 'changed_at']) }}
        as customer_merge_id,
    previous_customer_key,
    customer_key,
    changed_at,
    records_moved,
    count(*) over (partition by customer_key, changed_at) as keys_merged_into_customer
from per_change
