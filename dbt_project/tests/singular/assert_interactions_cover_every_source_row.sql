-- No fan-out or loss between layers: every staged activity and order is one interaction, and
-- every email message one email_message row (returns a row per mismatch).
-- Surfaces in Dagster as a check of fct_interactions (it reads several models).
{{ config(meta={'dagster': {'ref': {'name': 'fct_interactions'}}}) }}

with expected as (
    select
        'activity' as interaction_type,
        count(*) as source_rows
    from {{ ref('stg_crm__activities') }}
    union all
    select
        'order' as interaction_type,
        count(*) as source_rows
    from {{ ref('stg_orders__orders') }}
    union all
    select
        'email_message' as interaction_type,
        count(distinct message_id) as source_rows
    from {{ ref('stg_email__events') }}
),

actual as (
    select
        case
            when interaction_id like 'activity:%' then 'activity'
            else interaction_type
        end as interaction_type,
        count(*) as fact_rows
    from {{ ref('fct_interactions') }}
    group by
        case
            when interaction_id like 'activity:%' then 'activity'
            else interaction_type
        end
)

select
    expected.interaction_type,
    expected.source_rows,
    coalesce(actual.fact_rows, 0) as fact_rows
from expected
left join actual on expected.interaction_type = actual.interaction_type
where expected.source_rows <> coalesce(actual.fact_rows, 0)
