-- Who each rep should contact next (grain: owner_rep_id, customer_key; customers whose cadence
-- is neglected or due soon and who have an owner rep). Ranked within the rep by priority =
-- value weight x days overdue, where the value weight is the customer's RFM monetary score (1-5,
-- 1 without purchases) and days overdue = days since the last touch - the tier's expected gap
-- (negative while only due soon; a customer never touched counts the days we have observed it).
-- Alongside, value_at_risk_rank ranks them by expected value at risk = clv_12m x (1 - p_alive)
-- (mart_customer_lifetime_value; 0 without purchases): the value of the next year weighted by
-- the chance the customer has already lapsed, so large, slipping accounts come first.
with cadence as (
    select * from {{ ref('mart_customer_cadence') }}
    where cadence_status in ('neglected', 'due_soon') and owner_rep_id is not null
),

lifetime_value as (
    select * from {{ ref('mart_customer_lifetime_value') }}
),

prioritised as (
    select
        *,
        coalesce(days_since_last_touch, days_observed) - expected_gap_days as days_overdue,
        coalesce(m_score, 1) as value_weight
    from cadence
),

valued as (
    select
        prioritised.*,
        lifetime_value.clv_12m,
        cast(
            coalesce(lifetime_value.clv_12m * (1 - prioritised.p_alive), 0)
            as {{ exact_decimal_type() }}
        ) as value_at_risk
    from prioritised
    left join lifetime_value on prioritised.customer_key = lifetime_value.customer_key
)

select
    {{ hash_columns(['owner_rep_id', 'customer_key']) }} as followup_id,
    owner_rep_id,
    -- ranks in 64 bits on both engines (Spark's row_number is a 32-bit int)
    cast(row_number() over (
        partition by owner_rep_id
        order by value_weight * days_overdue desc, days_overdue desc, customer_key asc
    ) as {{ dbt.type_bigint() }}) as queue_rank,
    cast(row_number() over (
        partition by owner_rep_id
        order by value_at_risk desc, value_weight * days_overdue desc, customer_key asc
    ) as {{ dbt.type_bigint() }}) as value_at_risk_rank,
    customer_key,
    customer_name,
    tier,
    rfm_segment,
    cadence_status,
    monetary,
    value_weight,
    days_since_last_touch,
    expected_gap_days,
    days_overdue,
    value_weight * days_overdue as priority_score,
    p_alive,
    clv_12m,
    value_at_risk,
    last_touch_at,
    last_touch_channel,
    last_response_at,
    as_of_date
from valued
