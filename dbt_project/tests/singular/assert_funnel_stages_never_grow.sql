-- A funnel stage of mart_funnel never has more customers than the stage before it in the same
-- cohort (returns the stages that do).

select
    cohort_month,
    first_touch_channel,
    stage,
    customers,
    previous_customers
from (
    select
        cohort_month,
        first_touch_channel,
        stage,
        customers,
        lag(customers) over (
            partition by cohort_month, first_touch_channel order by stage_number
        ) as previous_customers
    from {{ ref('mart_funnel') }}
) as staged
where customers > previous_customers
