{#- What a daily run changed in the daily state int_customer_days_summarised, for an incremental
    model built from it (the model declares `-- depends_on:` that state). The state rewrites every
    row in its run's scope and marks it with the run's day (computed_for_run_day). The one change
    a mark cannot show is a row the run deleted. The state deletes rows only in its scope:
    - on days from its rebuild window's start on, of any customer;
    - on any day of a customer it recomputed whole. Such a customer's rows that are left are
      all marked; it may also have none left (merged away).
    So a model that recomputes, from the state, the days of its marked rows, the days from
    daily_state_window_start() on, and every day of a customer without an unmarked row
    (customers_with_unmarked_days() leaves it out) sees every change. -#}

{#- The state's rows this run wrote; false on a full build, whose marker is null. -#}
{% macro daily_state_marked() -%}
    coalesce(computed_for_run_day = {{ run_day_marker() }}, false)
{%- endmacro %}


{#- A date no later than the state's rebuild window's start (a scalar subquery). The window starts
    lookback days before the newest day stored before the run, and every unmarked row was
    stored before the run: the newest unmarked day minus the lookback cannot be later. Without
    unmarked rows, the first day of all. -#}
{% macro daily_state_window_start() -%}
    {%- set lookback_days = var('late_arrival_lookback_days') + var('response_window_days') -%}
    (
        select
            coalesce(
                cast({{ dbt.dateadd('day', -lookback_days, 'max(occurred_date)') }} as date),
                cast('1900-01-01' as date)
            )
        from {{ ref('int_customer_days_summarised') }}
        where not {{ daily_state_marked() }}
    )
{%- endmacro %}


{#- Customers with a row the run did not write: the only ones the state did not recompute whole. -#}
{% macro customers_with_unmarked_days() -%}
    select distinct customer_key
    from {{ ref('int_customer_days_summarised') }}
    where not {{ daily_state_marked() }}
{%- endmacro %}


{#- Each customer's months with a row the run wrote (customer_key, month_start). -#}
{% macro customer_months_marked() -%}
    select distinct
        customer_key,
        cast({{ dbt.date_trunc('month', 'occurred_date') }} as date) as month_start
    from {{ ref('int_customer_days_summarised') }}
    where {{ daily_state_marked() }}
{%- endmacro %}


{#- The first month a customer-month model recomputes for every customer. -#}
{% macro daily_state_window_month() -%}
    cast({{ dbt.date_trunc('month', daily_state_window_start()) }} as date)
{%- endmacro %}


{#- For a model of per-day sequences (a day's value reads the `days_before` days after it): the
    first day every customer's recomputation starts, `days_before` days before the window's
    start. -#}
{% macro daily_state_sequences_from(days_before) -%}
    cast({{ dbt.dateadd('day', -days_before, daily_state_window_start()) }} as date)
{%- endmacro %}


{#- ... and each customer whose recomputation starts earlier, with a row the run wrote before the
    window (a customer recomputed whole, or an order's conversion range): the first day to
    recompute, `days_before` days before the first such row. -#}
{% macro customers_recomputed_early(days_before) -%}
    select
        customer_key,
        cast({{ dbt.dateadd('day', -days_before, 'min(occurred_date)') }} as date)
            as recompute_from
    from {{ ref('int_customer_days_summarised') }}
    where
        {{ daily_state_marked() }}
        and occurred_date < {{ daily_state_window_start() }}
    group by customer_key
{%- endmacro %}
