-- Customer keys that changed between runs (grain: previous_customer_key, customer_key,
-- changed_at): when new data links two people's records, the later-anchored key's records move
-- to the surviving key. Nothing merges silently: every move is listed with its record count.
-- Incremental: a run appends the changes the snapshot recorded since the latest one listed
-- here; the snapshot keeps the history across full rebuilds, so a full rebuild lists it again.
{{ config(unique_key='customer_merge_id') }}

with assignments as (
    select * from {{ ref('snap_customer_key_assignments') }}
),

moves as (
    select
        previous.record_key,
        previous.customer_key as previous_customer_key,
        current_assignment.customer_key,
        current_assignment.dbt_valid_from as changed_at
    from assignments as previous
    inner join assignments as current_assignment
        on
            previous.record_key = current_assignment.record_key
            and previous.dbt_valid_to = current_assignment.dbt_valid_from
    where previous.customer_key <> current_assignment.customer_key
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
