-- Every CRM activity with its customer_key, through the CRM record it was logged against; an
-- activity for a CRM customer_id never delivered in crm/customers goes to the unresolved bucket.
-- Incremental (delete+insert on activity_id): a run resolves the activities it staged, and
-- re-keys the earlier ones whose CRM record changed customer (a merge, a CRM record delivered
-- after its activities).
-- Each row carries the run that wrote it (computed_for_run_day), and a daily run's tests check
-- those rows; on a table built before the column, the column is appended, null on older rows.
{{ config(unique_key='activity_id', on_schema_change='append_new_columns') }}
-- depends_on: {{ ref('int_records_relabelled') }}

with staged as (
    select
        activity_id,
        customer_id,
        rep_id,
        activity_type,
        direction,
        occurred_at,
        duration_seconds,
        outcome,
        subject
    from {{ ref('stg_crm__activities') }}
    {%- if is_incremental_run() %}
        where {{ changed_in_run('delivered_date') }}
    {%- endif %}
),

{% if is_incremental_run() -%}
    rekeyed as (
        select
            existing.activity_id,
            existing.customer_id,
            existing.rep_id,
            existing.activity_type,
            existing.direction,
            existing.occurred_at,
            existing.duration_seconds,
            existing.outcome,
            existing.subject
        from {{ this }} as existing
        inner join {{ ref('int_records_relabelled') }} as relabelled
            on {{ crm_record_key('existing.customer_id') }} = relabelled.record_key
        where
            existing.customer_key <> relabelled.customer_key
            and existing.activity_id not in (select activity_id from staged)
    ),

    activities as (
        select * from staged
        union all
        select * from rekeyed
    ),
{%- else -%}
    activities as (
        select * from staged
    ),
{%- endif %}

clustered as (
    select * from {{ ref('int_records_clustered') }}
)

select
    activities.activity_id,
    coalesce(clustered.customer_key, {{ unresolved_customer_key() }}) as customer_key,
    clustered.customer_key is null as is_unresolved,
    activities.customer_id,
    activities.rep_id,
    activities.activity_type,
    activities.direction,
    activities.occurred_at,
    activities.duration_seconds,
    activities.outcome,
    activities.subject,
    {{ run_day_marker() }} as computed_for_run_day
from activities
left join clustered
    on {{ crm_record_key('activities.customer_id') }} = clustered.record_key
