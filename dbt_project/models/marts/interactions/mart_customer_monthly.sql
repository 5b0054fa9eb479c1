-- The time series BI tools chart (grain: customer_key, local month; months with any
-- interaction or order). Touches per channel, weighted touches, responses, customer-initiated
-- interactions, paid orders and revenue (in var reporting_currency). The unresolved bucket is
-- included, so totals reconcile with fct_interactions and fct_orders.
{%- set channels = var('touch_channels', ['phone', 'visit', 'meeting', 'wechat', 'sms', 'email']) %}

with interactions as (
    select
        customer_key,
        {{ dbt.date_trunc('month', 'occurred_date') }} as month_start,
        channel,
        is_touch,
        is_response,
        is_customer_initiated,
        weight
    from {{ ref('fct_interactions') }}
),

orders as (
    select
        customer_key,
        {{ dbt.date_trunc('month', 'order_date') }} as month_start,
        reporting_amount
    from {{ ref('fct_orders') }}
),

interaction_months as (
    select
        customer_key,
        month_start,
        count(case when is_touch then 1 end) as touches,
        {%- for channel in channels %}
            count(case when is_touch and channel = '{{ channel }}' then 1 end)
                as touches_{{ channel }},
        {%- endfor %}
        cast(coalesce(sum(case when is_touch then weight end), 0) as {{ exact_decimal_type() }})
            as weighted_touches,
        count(case when is_response then 1 end) as responses,
        count(case when is_customer_initiated then 1 end) as customer_initiated
    from interactions
    group by customer_key, month_start
),

order_months as (
    select
        customer_key,
        month_start,
        count(*) as orders,
        cast(sum(reporting_amount) as {{ exact_decimal_type() }}) as revenue
    from orders
    group by customer_key, month_start
),

months as (
    select
        customer_key,
        month_start
    from interaction_months
    union
    select
        customer_key,
        month_start
    from order_months
)

select
    {{ hash_columns(['months.customer_key', 'months.month_start']) }} as customer_month_id,
    months.customer_key,
    cast(months.month_start as date) as month_start,
    coalesce(interaction_months.touches, 0) as touches,
    {%- for channel in channels %}
        coalesce(interaction_months.touches_{{ channel }}, 0) as touches_{{ channel }},
    {%- endfor %}
    coalesce(interaction_months.weighted_touches, 0) as weighted_touches,
    coalesce(interaction_months.responses, 0) as responses,
    coalesce(interaction_months.customer_initiated, 0) as customer_initiated,
    coalesce(order_months.orders, 0) as orders,
    coalesce(order_months.revenue, 0) as revenue
from months
left join interaction_months
    on
        months.customer_key = interaction_months.customer_key
        and months.month_start = interaction_months.month_start
left join order_months
    on
        months.customer_key = order_months.customer_key
        and months.month_start = order_months.month_start
