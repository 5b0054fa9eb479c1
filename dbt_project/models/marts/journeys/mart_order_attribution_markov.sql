-- Which channels earn each paid order under the Markov model (grain: order_id, channel);
-- definitions in _journeys__models.yml. Each channel among the order's touches gets its removal
-- effect (int_channel_removal_effects_solved) divided by the sum of those of the order's
-- channels. The removal effects move with every run, and so does every order's credit: a table
-- rebuilt each run from the channels per order of the state int_order_touches_weighted, never
-- from the facts, and kept apart from mart_order_attribution so that the rule-based credit,
-- which does not move, is not rewritten with it.

with order_channels as (
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

credited as (
    select
        order_id,
        customer_key,
        ordered_at,
        order_date,
        reporting_amount,
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

rounded as (
    select
        *,
        {{ rounded_share() }} as rounded_revenue,
        row_number() over (
            partition by order_id
            order by weight desc, channel asc
        ) as share_rank
    from credited
)

select
    {{ hash_columns(['order_id', 'channel']) }} as order_channel_id,
    order_id,
    customer_key,
    ordered_at,
    order_date,
    channel,
    cast(weight as {{ attribution_weight_type() }}) as weight,
    {{ attributed_revenue('order_id') }} as attributed_revenue
from rounded
