-- mart_channel_effectiveness counts every resolved touch up to the as-of date once, and its
-- responses equal the touches flagged responded (returns a row per mismatch).
-- Surfaces in Dagster as a check of mart_channel_effectiveness (it reads several models).
{{ config(meta={'dagster': {'ref': {'name': 'mart_channel_effectiveness'}}}) }}

with mart as (
    select
        sum(touches) as touches,
        sum(responses) as responses
    from {{ ref('mart_channel_effectiveness') }}
),

facts as (
    select
        count(*) as touches,
        count(case when responded then 1 end) as responses
    from {{ ref('fct_interactions') }}
    where is_touch and not is_unresolved and occurred_date <= {{ as_of_date() }}
)

select
    mart.touches as mart_touches,
    facts.touches as fact_touches,
    mart.responses as mart_responses,
    facts.responses as fact_responses
from mart cross join facts
where mart.touches <> facts.touches or mart.responses <> facts.responses
