{#- The value of the row with the greatest `order_by` among rows where the value is not null:
    survivorship ("most recent non-null") as one aggregate. max_by exists on DuckDB and Spark. -#}
{% macro latest_non_null(value, order_by) -%}
    max_by({{ value }}, case when {{ value }} is not null then {{ order_by }} end)
{%- endmacro %}
