-- Channel credit per local month of the order under each attribution model (grain: month_start,
-- channel, model); definitions in _journeys__models.yml. Sums of mart_order_attribution.

select
    {{ hash_columns(['month_start', 'channel', 'model']) }} as channel_model_month_id,
    month_start,
    channel,
    model,
    sum(weight) as attributed_orders,
    sum(attributed_revenue) as attributed_revenue
from (
    select
        cast({{ dbt.date_trunc('month', 'order_date') }} as date) as month_start,
        channel,
        model,
        weight,
        attributed_revenue
    from {{ ref('mart_order_attribution') }}
) as credited
group by month_start, channel, model
