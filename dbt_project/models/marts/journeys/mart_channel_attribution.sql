-- Channel credit per local month of the order under each attribution model (grain: month_start,
-- channel, model); definitions in _journeys__models.yml. Sums of mart_order_attribution (the
-- rule-based models) and mart_order_attribution_markov.

select
    {{ hash_columns(['month_start', 'channel', 'model']) }} as channel_model_month_id,
    month_start,
    channel,
    model,
    -- six decimals hold up to a million orders per month and channel; a month's channels add
    -- up to its orders within 1e-5
    cast(sum(weight) as decimal(18, 6)) as attributed_orders,
    cast(sum(attributed_revenue) as {{ exact_decimal_type() }}) as attributed_revenue
from (
    select
        cast({{ dbt.date_trunc('month', 'order_date') }} as date) as month_start,
        channel,
        model,
        weight,
        attributed_revenue
    from {{ ref('mart_order_attribution') }}
    union all
    select
        cast({{ dbt.date_trunc('month', 'order_date') }} as date) as month_start,
        channel,
        'markov' as model,
        weight,
        attributed_revenue
    from {{ ref('mart_order_attribution_markov') }}
) as credited
group by month_start, channel, model
