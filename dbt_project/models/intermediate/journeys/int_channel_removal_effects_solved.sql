{%- set squarings = var('markov_matrix_squarings') %}
{{ config(post_hook="{{ drop_squared_matrix(var('markov_matrix_squarings')) }}") }}
-- The Markov removal effect of each touch channel (grain: channel); definitions in
-- _journeys__models.yml. A first-order Markov chain over the journeys of the state
-- int_journey_transitions_counted, summed over customers (a matrix of at most channels + 3
-- states): the probability of reaching 'conversion' from 'start', and again with each channel
-- removed (its transitions lead to 'null'). Absorption probabilities come from squaring the
-- transition matrix markov_matrix_squarings times (M^(2^n), conversion and null absorbing), which
-- needs joins and sums only, on any engine (macro squared_matrix: CTEs on DuckDB, a table per
-- power on Spark).
{%- set transition_matrix %}
    with counts as (
        select
            from_state,
            to_state,
            sum(transitions) as transitions
        from {{ ref('int_journey_transitions_counted') }}
        group by from_state, to_state
    ),

    probabilities as (
        select
            from_state,
            to_state,
            -- a double on every engine (Spark divides decimals to 6 places)
            cast(transitions as double)
            / sum(transitions) over (partition by from_state) as probability
        from counts
    ),

    channels as (
        select distinct from_state as channel
        from counts
        where from_state <> 'start'
    ),

    scenarios as (
        -- '' is the chain as observed; every other scenario removes one channel
        select '' as removed_channel
        union all
        select channel as removed_channel from channels
    ),

    absorbing_states as (
        select 'conversion' as state
        union all
        select 'null' as state
    )

    select
        scenarios.removed_channel,
        probabilities.from_state,
        case
            when probabilities.from_state = scenarios.removed_channel then 'null'
            else probabilities.to_state
        end as to_state,
        sum(probabilities.probability) as probability
    from scenarios
    cross join probabilities
    group by
        scenarios.removed_channel,
        probabilities.from_state,
        case
            when probabilities.from_state = scenarios.removed_channel then 'null'
            else probabilities.to_state
        end
    union all
    select
        scenarios.removed_channel,
        absorbing.state as from_state,
        absorbing.state as to_state,
        1.0 as probability
    from scenarios
    cross join absorbing_states as absorbing
{%- endset %}

with {{ squared_matrix(transition_matrix, squarings) }}

conversion as (
    -- every scenario keeps its absorbing states' rows in every power
    select
        scenarios.removed_channel,
        coalesce(reached.probability, 0) as probability
    from (select distinct removed_channel from matrix_squared) as scenarios
    left join matrix_squared as reached
        on
            scenarios.removed_channel = reached.removed_channel
            and reached.from_state = 'start'
            and reached.to_state = 'conversion'
),

effects as (
    select
        removed.removed_channel as channel,
        observed.probability as conversion_probability,
        removed.probability as conversion_probability_without,
        1 - removed.probability / nullif(observed.probability, 0) as removal_effect
    from conversion as removed
    cross join conversion as observed
    where removed.removed_channel <> '' and observed.removed_channel = ''
)

select
    channel,
    cast(conversion_probability as {{ attribution_weight_type() }}) as conversion_probability,
    cast(conversion_probability_without as {{ attribution_weight_type() }})
        as conversion_probability_without,
    cast(removal_effect as {{ attribution_weight_type() }}) as removal_effect
from effects
