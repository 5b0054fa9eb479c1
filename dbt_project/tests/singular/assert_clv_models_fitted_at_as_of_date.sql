-- A warning, not an error: the lifetime-value models of this as-of date that were not fitted for
-- too little data (mart_clv_model_fit.status insufficient_data; returns them with the reason).
-- The run publishes without lifetime values; it says so here. A check of mart_clv_model_fit.
{{ config(severity='warn', meta={'dagster': {'ref': {'name': 'mart_clv_model_fit'}}}) }}

select
    fit_id,
    model,
    status,
    status_reason
from {{ ref('mart_clv_model_fit') }}
where as_of_date = {{ as_of_date() }} and status <> 'fitted'
