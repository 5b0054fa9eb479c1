{{ config(unique_key='activity_id') }}
-- One row per CRM activity. Copies of an activity (a re-sent file, a re-delivery) collapse to the
-- latest delivered one; conflicting copies within one delivery never get here (the contract gate
-- of extraction blocks them, expectations/README.md).
with source as (
    select * from {{ source('crm', 'activities') }}
    {%- if is_incremental_run() %}
        where {{ restaged_in_run('activity_id') }}
    {%- endif %}
),

renamed as (
    select
        trim(activity_id) as activity_id,
        trim(customer_id) as customer_id,
        nullif(trim(rep_id), '') as rep_id,
        activity_type,
        direction,
        occurred_at,
        duration_seconds,
        nullif(trim(outcome), '') as outcome,
        nullif(trim(subject), '') as subject,
        _dt as delivered_date,
        _source_file as source_file,
        _line_number as source_line
    from source
),

versioned as (
    select
        *,
        row_number() over (
            partition by activity_id
            order by delivered_date desc, source_file desc, source_line desc
        ) as version_rank
    from {{ with_staged_versions('renamed', 'activity_id') }}
)

select
    activity_id,
    customer_id,
    rep_id,
    activity_type,
    direction,
    occurred_at,
    duration_seconds,
    outcome,
    subject,
    delivered_date,
    source_file,
    source_line
from versioned
where version_rank = 1
