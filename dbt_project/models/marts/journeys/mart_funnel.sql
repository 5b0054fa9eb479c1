-- The contact-to-repeat-purchase funnel (grain: cohort_month, first_touch_channel, stage) as of
-- the as-of date; definitions in _journeys__models.yml. Built from the per-customer milestones of
-- int_customer_milestones_reached: one row per customer, however long its history.
{%- set window_days = var('funnel_conversion_window_days') %}
{%- set stages = [
    ('first_touch', 'first_touch_at'),
    ('first_response', 'first_response_at'),
    ('first_paid_order', 'first_paid_order_at'),
    ('second_paid_order', 'second_paid_order_at'),
] %}

with milestones as (
    select
        customer_key,
        first_touch_channel,
        {{ dbt.date_trunc('month', utc_to_local_date('first_touch_at')) }} as cohort_month,
        {%- for stage, column in stages %}
            case
                when
                    {{ utc_to_local_date(column) }} <= {{ as_of_date() }}
                    and {{ column }}
                    <= {{ dbt.dateadd('day', window_days, 'first_touch_at') }}
                    then {{ utc_to_local_date(column) }}
            end as {{ stage }}_date{% if not loop.last %},{% endif %}
        {%- endfor %}
    from {{ ref('int_customer_milestones_reached') }}
    where {{ utc_to_local_date('first_touch_at') }} <= {{ as_of_date() }}
),

staged as (
    {%- for stage, column in stages %}
        select
            cohort_month,
            first_touch_channel,
            {{ loop.index }} as stage_number,
            '{{ stage }}' as stage,
            {%- if loop.first %}
                cast(null as integer) as days_from_previous
            {%- else %}
                {{ dbt.datediff(stages[loop.index0 - 1][0] ~ '_date', stage ~ '_date', 'day') }}
                    as days_from_previous
            {%- endif %}
        from milestones
        where {{ stage }}_date is not null
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

counted as (
    select
        cohort_month,
        first_touch_channel,
        stage_number,
        stage,
        count(*) as customers,
        median(days_from_previous) as median_days_from_previous
    from staged
    group by cohort_month, first_touch_channel, stage_number, stage
),

cohorts as (
    select distinct
        cohort_month,
        first_touch_channel
    from counted
),

stage_grid as (
    -- every stage of every cohort, so that a stage nobody reached shows 0 customers
    {%- for stage, column in stages %}
        select
            cohort_month,
            first_touch_channel,
            {{ loop.index }} as stage_number,
            '{{ stage }}' as stage
        from cohorts
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

filled as (
    select
        stage_grid.*,
        coalesce(counted.customers, 0) as customers,
        counted.median_days_from_previous
    from stage_grid
    left join counted
        on
            stage_grid.cohort_month = counted.cohort_month
            and stage_grid.first_touch_channel = counted.first_touch_channel
            and stage_grid.stage_number = counted.stage_number
)

select
    {{ hash_columns(['cohort_month', 'first_touch_channel', 'stage']) }} as funnel_stage_id,
    cast(cohort_month as date) as cohort_month,
    first_touch_channel,
    stage_number,
    stage,
    cast(customers as {{ dbt.type_bigint() }}) as customers,
    cast(customers as double) / nullif(
        lag(customers) over (
            partition by cohort_month, first_touch_channel order by stage_number
        ),
        0
    ) as conversion_from_previous,
    median_days_from_previous,
    {{ dbt.dateadd('day', window_days, dbt.last_day('cast(cohort_month as date)', 'month')) }}
    > {{ as_of_date() }} as is_open
from filled
