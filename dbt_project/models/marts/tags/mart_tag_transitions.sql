{{
    config(
        materialized='incremental',
        unique_key='tag_transition_id',
        incremental_strategy='merge',
        on_schema_change='fail',
        merge_clauses={
            'when_matched': [
                {'condition': 'DBT_INTERNAL_SOURCE.customers = 0', 'action': 'delete'},
                {'action': 'update', 'mode': 'by_name'}
            ],
            'when_not_matched': [
                {'condition': 'DBT_INTERNAL_SOURCE.customers > 0',
                 'action': 'insert', 'mode': 'by_name'}
            ]
        }
    )
}}
-- Customers moving between tags per day, week and month (grain: period_grain, period_start,
-- tag_group, from_tag, to_tag); definitions in _tags__models.yml. Derived from the tag history:
-- a move on day X is a version of a slot (macro tag_slot) closing on X and/or one opening on X.
-- Incremental: a run with as-of date D can only change moves on D, so it recomputes the day,
-- week and month that contain D, from the history versions opened or closed since the first of
-- them, and deletes the stored rows of those periods that no longer occur.

with history as (
    select
        customer_key,
        tag_group,
        tag,
        {{ tag_slot('tag_group', 'tag') }} as tag_slot,
        valid_from,
        valid_to
    from {{ ref('mart_customer_tag_history') }}
),

baseline as (
    -- versions opened on the history's first as-of date record what held then, not moves
    select min(valid_from) as first_date from history
),

{% if is_incremental() %}
    in_scope as (
        select
            {{ as_of_date() }} as day_start,
            {{ dbt.date_trunc('week', as_of_date()) }} as week_start,
            {{ dbt.date_trunc('month', as_of_date()) }} as month_start
    ),

    changed as {{ materialized_cte() }} (
        select history.*
        from history
        cross join in_scope
        where
            history.valid_from >= least(in_scope.week_start, in_scope.month_start)
            or history.valid_to >= least(in_scope.week_start, in_scope.month_start)
    ),
{% else %}
    changed as (
        select * from history
    ),
{% endif %}

closed as (
    select
        customer_key,
        tag_group,
        tag_slot,
        tag,
        valid_to as moved_on
    from changed
    where valid_to is not null
),

opened as (
    select
        changed.customer_key,
        changed.tag_group,
        changed.tag_slot,
        changed.tag,
        changed.valid_from as moved_on
    from changed
    cross join baseline
    where changed.valid_from > baseline.first_date
),

moves as (
    select
        coalesce(closed.customer_key, opened.customer_key) as customer_key,
        coalesce(closed.tag_group, opened.tag_group) as tag_group,
        coalesce(closed.moved_on, opened.moved_on) as moved_on,
        closed.tag as from_tag,
        opened.tag as to_tag
    from closed
    full outer join opened
        on
            closed.customer_key = opened.customer_key
            and closed.tag_group = opened.tag_group
            and closed.tag_slot = opened.tag_slot
            and closed.moved_on = opened.moved_on
),

by_period as (
    select
        'day' as period_grain,
        moved_on as period_start,
        tag_group,
        from_tag,
        to_tag,
        customer_key
    from moves
    union all
    select
        'week' as period_grain,
        cast({{ dbt.date_trunc('week', 'moved_on') }} as date) as period_start,
        tag_group,
        from_tag,
        to_tag,
        customer_key
    from moves
    union all
    select
        'month' as period_grain,
        cast({{ dbt.date_trunc('month', 'moved_on') }} as date) as period_start,
        tag_group,
        from_tag,
        to_tag,
        customer_key
    from moves
),

counted as (
    select
        {{ hash_columns(['period_grain', 'period_start', 'tag_group', 'from_tag', 'to_tag']) }}
            as tag_transition_id,
        period_start,
        period_grain,
        tag_group,
        from_tag,
        to_tag,
        count(distinct customer_key) as customers
    from by_period
    group by period_grain, period_start, tag_group, from_tag, to_tag
)

{% if is_incremental() %}
    ,

    periods_in_scope as (
        select
            'day' as period_grain,
            day_start as period_start
        from in_scope
        union all
        select
            'week' as period_grain,
            cast(week_start as date) as period_start
        from in_scope
        union all
        select
            'month' as period_grain,
            cast(month_start as date) as period_start
        from in_scope
    )

    select counted.*
    from counted
    inner join periods_in_scope
        on
            counted.period_grain = periods_in_scope.period_grain
            and counted.period_start = periods_in_scope.period_start
    union all
    -- stored moves of those periods that no longer occur: the merge deletes them
    select
        stored.tag_transition_id,
        stored.period_start,
        stored.period_grain,
        stored.tag_group,
        stored.from_tag,
        stored.to_tag,
        0 as customers
    from {{ this }} as stored
    inner join periods_in_scope
        on
            stored.period_grain = periods_in_scope.period_grain
            and stored.period_start = periods_in_scope.period_start
    where stored.tag_transition_id not in (select tag_transition_id from counted)
{% else %}
    select * from counted
{% endif %}
