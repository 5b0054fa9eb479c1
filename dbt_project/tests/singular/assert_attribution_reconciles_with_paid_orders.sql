-- Under every attribution model, each local month's attributed orders and revenue in
-- mart_channel_attribution equal that month's paid orders and revenue in fct_orders, and every
-- order's weights in mart_order_attribution and mart_order_attribution_markov sum to 1 (returns
-- the months, or the orders, that do not). Surfaces in Dagster as a check of
-- mart_channel_attribution.
{{ config(meta={'dagster': {'ref': {'name': 'mart_channel_attribution'}}}) }}

with paid as (
    select
        cast({{ dbt.date_trunc('month', 'order_date') }} as date) as month_start,
        count(*) as orders,
        sum(reporting_amount) as revenue
    from {{ ref('fct_orders') }}
    group by cast({{ dbt.date_trunc('month', 'order_date') }} as date)
),

models as (
    {%- for model in attribution_models() %}
        select '{{ model }}' as model
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

credited as (
    select
        month_start,
        model,
        sum(attributed_orders) as orders,
        sum(attributed_revenue) as revenue
    from {{ ref('mart_channel_attribution') }}
    group by month_start, model
),

months as (
    select
        paid.month_start,
        models.model,
        paid.orders as paid_orders,
        paid.revenue as paid_revenue
    from paid
    cross join models
),

order_weights as (
    select
        order_id,
        model,
        sum(weight) as weights
    from {{ ref('mart_order_attribution') }}
    group by order_id, model
    union all
    select
        order_id,
        'markov' as model,
        sum(weight) as weights
    from {{ ref('mart_order_attribution_markov') }}
    group by order_id
)

select
    coalesce(months.month_start, credited.month_start) as month_start,
    coalesce(months.model, credited.model) as model,
    cast(null as {{ dbt.type_string() }}) as order_id,
    months.paid_orders,
    credited.orders as attributed_orders,
    months.paid_revenue,
    credited.revenue as attributed_revenue
from months
full outer join credited
    on months.month_start = credited.month_start and months.model = credited.model
where
    months.model is null
    or credited.model is null
    or abs(credited.orders - months.paid_orders) > 0.0001
    or credited.revenue <> months.paid_revenue
union all
select
    null as month_start,
    model,
    order_id,
    null as paid_orders,
    weights as attributed_orders,
    null as paid_revenue,
    null as attributed_revenue
from order_weights
where abs(weights - 1) > 0.000000001
