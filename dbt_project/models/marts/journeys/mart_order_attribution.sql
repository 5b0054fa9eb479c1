{{
    config(
        materialized='incremental',
        unique_key=['order_id', 'model'],
        incremental_strategy='delete+insert',
        on_schema_change='fail',
        pre_hook="{% if is_incremental() %}
            delete from {{ this }} where order_id in ({{ orders_unpaid_in_run() }})
        {% endif %}"
    )
}}
-- Which touches and channels earn each paid order, under six models (grain: order_id, model,
-- channel, interaction_id); definitions in _journeys__models.yml. The rule-based models come from
-- the incremental state int_order_touches_weighted: a run rewrites the orders that state
-- recomputed (delete+insert on order_id and model). markov splits each order over the channels of
-- its touches in proportion to their removal effects (int_channel_removal_effects_solved), which
-- move with every run, so a run rewrites the markov rows of every order, from the channels per
-- order of that state, never from the facts. Its pre-hook deletes the orders the run received
-- refunded or cancelled.
-- depends_on: {{ ref('stg_orders__orders') }}

with rule_based as (
    select * from {{ ref('int_order_touches_weighted') }}
    {% if is_incremental_run() %}
        where {{ changed_in_run('computed_for_run_day') }}
    {% endif %}
),

order_channels as (
    -- every order: its markov rows move with the removal effects
    select distinct
        order_id,
        customer_key,
        ordered_at,
        order_date,
        reporting_amount,
        channel
    from {{ ref('int_order_touches_weighted') }}
    where model = 'linear'
),

effects as (
    select
        order_channels.*,
        -- a channel in no journey of the chain, or no removal effect at all: an even split
        coalesce(sum(effects.removal_effect) over (partition by order_channels.order_id), 0)
            as order_removal_effects,
        count(*) over (partition by order_channels.order_id) as order_channels,
        coalesce(effects.removal_effect, 0) as removal_effect
    from order_channels
    left join {{ ref('int_channel_removal_effects_solved') }} as effects
        on order_channels.channel = effects.channel
),

markov as (
    select
        order_id,
        customer_key,
        ordered_at,
        order_date,
        reporting_amount,
        'markov' as model,
        cast(null as {{ dbt.type_string() }}) as interaction_id,
        channel,
        case
            when channel = 'direct' then 1.0
            when order_removal_effects > 0 then removal_effect / order_removal_effects
            else cast(1 as double) / order_channels
        end as weight
    from effects
    -- a channel without removal effect earns nothing, as the rule-based models keep no 0 row
    where channel = 'direct' or order_removal_effects = 0 or removal_effect > 0
),

credited as (
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
    from rule_based
    union all
    select * from markov
),

rounded as (
    select
        *,
        -- in exact decimals, rounded half up on both engines: a double product rounds an exact
        -- half cent by its binary value on DuckDB (261.835 -> 261.83) and up on Spark (261.84).
        -- The widths keep the product exact: DuckDB keeps a product of two decimals of width 18
        -- or less in 18 digits (it overflowed at 10^4), and types this one decimal(37, 14);
        -- Spark decimal(14 + 23 + 1 = 38, 14) (any wider and it would cut the scale to 6).
        cast(
            cast(weight as decimal(14, 12)) * cast(reporting_amount as decimal(23, 2))
            as {{ exact_decimal_type() }}
        ) as rounded_revenue,
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
    -- shares are rounded to the cent; the largest takes what rounding left over, so an order's
    -- attributed revenue adds up to its revenue exactly under every model
    cast(
        rounded_revenue
        + case
            when share_rank = 1
                then reporting_amount - sum(rounded_revenue) over (partition by order_id, model)
            else 0
        end
        as {{ exact_decimal_type() }}
    ) as attributed_revenue
from rounded
