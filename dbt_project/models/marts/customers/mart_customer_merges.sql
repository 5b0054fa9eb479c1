-- Customer keys that changed between runs (grain: previous_customer_key, customer_key,
-- changed_at): when new data links two people's records, the later-anchored key's records move
-- to the surviving key. Nothing merges silently: every move is listed with its record count.
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

per_change as (
    select
        previous_customer_key,
        customer_key,
        changed_at,
        count(*) as records_moved
    from moves
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
