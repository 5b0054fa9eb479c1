{#- The type of every money column and every sum of interaction weights. A float sum depends on
    the order its rows were added in, so a rerun over the same data could publish other last
    digits; a decimal sum is exact. DECIMAL(18, 2) rather than the DECIMAL(38, 2) that SUM
    returns, so a BI tool's own SUM over the column still fits a DECIMAL. -#}
{% macro exact_decimal_type() -%}
    decimal(18, 2)
{%- endmacro %}
