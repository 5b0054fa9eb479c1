-- The records whose customer this run computed again (grain: record_key): every record of each
-- customer a changed record belongs to, with its current key, merged customers included. Rows
-- resolved to these records are re-keyed when their key changed, the customer marts are rebuilt
-- for their customers, and int_key_assignments_recorded checks only them. When the run names
-- no delivery days (a full rebuild), every record.
{{ config(materialized='view') }}

select
    record_key,
    record_type,
    first_seen_at,
    last_delivered_date,
    customer_last_delivered_date,
    anchor_record_key,
    customer_key
from {{ ref('int_records_clustered') }}
{%- if run_names_its_days() %}
    where {{ changed_in_run('customer_last_delivered_date') }}
{%- endif %}
