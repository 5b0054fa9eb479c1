-- Within a customer's slot of a tag group (macro tag_slot: activity is one slot, value has the
-- RFM segment and the CLV decile, each intent and risk tag is its own), at most one version holds
-- on any day: each version ends (valid_to) on or before the next one starts, only the last may
-- be open, and none is empty (valid_to after valid_from). Returns the offending versions.
with versions as (
    select
        customer_key,
        tag_group,
        {{ tag_slot('tag_group', 'tag') }} as tag_slot,
        tag,
        valid_from,
        valid_to
    from {{ ref('mart_customer_tag_history') }}
),

ordered as (
    select
        *,
        lead(valid_from) over (
            partition by customer_key, tag_group, tag_slot
            order by valid_from, tag
        ) as next_valid_from
    from versions
)

select *
from ordered
where
    valid_to <= valid_from
    or (next_valid_from is not null and (valid_to is null or valid_to > next_valid_from))
