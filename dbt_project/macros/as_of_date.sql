{#- The date the marts describe: var `as_of_date` (the Dagster run passes $CADENCE_AS_OF or the
    newest loaded partition day), else today. Interactions after it are ignored. -#}
{% macro as_of_date() -%}
    {%- set configured = run_setting('as_of_date') -%}
    {%- if configured -%}
        cast('{{ configured }}' as date)
    {%- else -%}
        current_date
    {%- endif -%}
{%- endmacro %}


{#- A 1-5 score by quintile of `order_by` over all rows: rank() gives tied values the same rank,
    so ties always share a score and the result does not depend on row order. -#}
{% macro quintile_score(order_by) -%}
    1 + floor(5.0 * (rank() over (order by {{ order_by }}) - 1) / count(*) over ())
{%- endmacro %}
