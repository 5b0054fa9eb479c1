{{
    config(
        materialized='incremental',
        unique_key=['order_id', 'model'],
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        pre_hook=before_begin("{% if is_incremental() %}
            delete from {{ this }}
            where
                order_id in ({{ orders_unpaid_in_run() }})
                or model not in ('{{ rule_based_attribution_models() | join(\"', '\") }}')
        {% endif %}")
    )
}}
-- Which touches earn each paid order under the five rule-based models (grain: order_id, model,
-- channel, interaction_id); definitions in _journeys__models.yml. From the incremental state
-- int_order_touches_weighted: a run rewrites the orders that state recomputed (delete+insert on
-- order_id and model), so an order's credit is written once, and published once, unless the
-- order is recomputed. Its pre-hook deletes the orders the run received refunded or cancelled,
-- and the rows of any model the mart no longer holds (the markov rows kept by earlier versions).
-- The pre-hook runs before the model's transaction: DuckDB cannot commit a transaction that
-- deleted from a table and then altered it, as on_schema_change does to append a new column.
-- Markov credit moves with every run: it has a mart of its own, mart_order_attribution_markov.
-- Each row carries the run that wrote it (computed_for_run_day): a daily run's tests check those.
-- depends_on: {{ ref('stg_orders__orders') }}

with credited as (
    select
        order_id,
        customer_key,
        ordered_at,
        order_date,
        reporting_amount,
        model,
        interaction_id,
        channel,
        weight
    from {{ ref('int_order_touches_weighted') }}
    {% if is_incremental_run() %}
        where {{ changed_in_run('computed_for_run_day') }}
    {% endif %}
),

rounded as (
    select
        *,
        {{ rounded_share() }} as rounded_revenue,
        row_number() over (
            partition by order_id, model
            order by weight desc, channel asc, interaction_id asc
        ) as share_rank
    from credited
)

select
    {{ hash_columns(['order_id', 'model', 'channel', 'interaction_id']) }} as order_attribution_id,
    order_id,
    customer_key,
    ordered_at,
    order_date,
    model,
    interaction_id,
    channel,
    cast(weight as {{ attribution_weight_type() }}) as weight,
    {{ attributed_revenue('order_id, model') }} as attributed_revenue,
    {{ run_day_marker() }} as computed_for_run_day
from rounded
