-- Touches, responses and customer-initiated interactions in mart_customer_monthly sum to
-- fct_interactions, and its orders and revenue to fct_orders (returns the totals on mismatch).
-- Surfaces in Dagster as a check of mart_customer_monthly (it reads several models).
{{ config(meta={'dagster': {'ref': {'name': 'mart_customer_monthly'}}}) }}

with monthly as (
    select
        sum(touches) as touches,
        sum(responses) as responses,
        sum(customer_initiated) as customer_initiated,
        sum(orders) as orders,
        sum(revenue) as revenue
    from {{ ref('mart_customer_monthly') }}
),

interactions as (
    select
        count(case when is_touch then 1 end) as touches,
        count(case when is_response then 1 end) as responses,
        count(case when is_customer_initiated then 1 end) as customer_initiated
    from {{ ref('fct_interactions') }}
),

orders as (
    select
        count(*) as orders,
        coalesce(sum(reporting_amount), 0) as revenue
    from {{ ref('fct_orders') }}
)

select
    monthly.touches as mart_touches,
    interactions.touches as fact_touches,
    monthly.responses as mart_responses,
    interactions.responses as fact_responses,
    monthly.customer_initiated as mart_customer_initiated,
    interactions.customer_initiated as fact_customer_initiated,
    monthly.orders as mart_orders,
    orders.orders as fact_orders,
    monthly.revenue as mart_revenue,
    orders.revenue as fact_revenue
from monthly
cross join interactions
cross join orders
where
    monthly.touches <> interactions.touches
    or monthly.responses <> interactions.responses
    or monthly.customer_initiated <> interactions.customer_initiated
    or monthly.orders <> orders.orders
    or monthly.revenue <> orders.revenue
