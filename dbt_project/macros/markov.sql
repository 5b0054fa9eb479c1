{#- M^(2^squarings) of an absorbing chain's transition matrix: `matrix_sql` is a query of
    (removed_channel, from_state, to_state, probability), one matrix per removal scenario. The
    macro gives CTEs, each followed by a comma, the last of them `matrix_squared`. Squaring reads
    the previous power twice. -#}
{% macro squared_matrix(matrix_sql, squarings) -%}
    {{ return(adapter.dispatch('squared_matrix', 'cadence')(matrix_sql, squarings)) }}
{%- endmacro %}


{#- One squaring: the product of `power` with itself, per scenario. -#}
{% macro matrix_squaring(power) -%}
    select
        earlier.removed_channel,
        earlier.from_state,
        later.to_state,
        sum(earlier.probability * later.probability) as probability
    from {{ power }} as earlier
    inner join {{ power }} as later
        on
            earlier.removed_channel = later.removed_channel
            and earlier.to_state = later.from_state
    group by earlier.removed_channel, earlier.from_state, later.to_state
{%- endmacro %}


{#- Each power a CTE that the engine computes once (DuckDB: `materialized`). -#}
{% macro default__squared_matrix(matrix_sql, squarings) -%}
    matrix_0 as {{ materialized_cte() }} (
        {{ matrix_sql }}
    ),
    {%- for power in range(1, squarings + 1) %}

        matrix_{{ power }} as {{ materialized_cte() }} (
            {{ matrix_squaring('matrix_' ~ (power - 1)) }}
        ),
    {%- endfor %}

    matrix_squared as (
        select * from matrix_{{ squarings }}
    ),
{%- endmacro %}


{#- Spark inlines a CTE wherever it is read, so squarings as CTEs plan 2^squarings copies of the
    first matrix and exhaust memory. Each power is written as a Parquet table instead, read by the
    next and then dropped; the last is dropped by the model's post-hook
    (drop_squared_matrix). -#}
{% macro spark__squared_matrix(matrix_sql, squarings) -%}
    {#- A unit test's inputs are CTEs, which no table can read: there the powers stay CTEs (its
        small chain converges in a few squarings, which the test sets). -#}
    {%- if model.resource_type == 'unit_test' -%}
        {{ return(default__squared_matrix(matrix_sql, squarings)) }}
    {%- endif -%}
    {%- set powers = namespace(previous=none) -%}
    {%- if execute -%}
        {%- for power in range(0, squarings + 1) -%}
            {%- set table = squared_matrix_table(power) -%}
            {%- do run_query('drop table if exists ' ~ table) -%}
            {%- do run_query(
                'create table ' ~ table ~ ' using parquet as '
                ~ (matrix_sql if power == 0 else matrix_squaring(powers.previous))
            ) -%}
            {%- if powers.previous is not none -%}
                {%- do run_query('drop table if exists ' ~ powers.previous) -%}
            {%- endif -%}
            {%- set powers.previous = table -%}
        {%- endfor -%}
    {%- endif %}
    matrix_squared as (
        select * from {{ squared_matrix_table(squarings) }}
    ),
{%- endmacro %}


{#- The table of one power, beside the model's own. -#}
{% macro squared_matrix_table(power) -%}
    {{ this.schema }}.{{ this.identifier }}__matrix_{{ power }}
{%- endmacro %}


{#- The model's post-hook: the last power's table, where spark__squared_matrix left one. -#}
{% macro drop_squared_matrix(squarings) -%}
    {{ return(adapter.dispatch('drop_squared_matrix', 'cadence')(squarings)) }}
{%- endmacro %}

{% macro default__drop_squared_matrix(squarings) -%}
{%- endmacro %}

{% macro spark__drop_squared_matrix(squarings) -%}
    drop table if exists {{ squared_matrix_table(squarings) }}
{%- endmacro %}
