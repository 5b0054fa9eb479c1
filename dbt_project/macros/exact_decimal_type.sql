{#- The type of every money column and every sum of interaction weights. A float sum depends on
    the order its rows were added in, so a rerun over the same data could publish other last
    digits; a decimal sum is exact. DECIMAL(18, 2) rather than the DECIMAL(38, 2) that SUM
    returns, so a BI tool's own SUM over the column still fits a DECIMAL. -#}
{% macro exact_decimal_type() -%}
    decimal(18, 2)
{%- endmacro %}


{#- The mean of money column `column` to the cent, rounded half up from its exact value on every
    engine: summed in whole cents (exact in a double up to 2^53 cents), divided once and rounded
    once. avg() would not do: DuckDB averages a decimal in a double, whose cast to the cent rounds
    an exact half cent by its binary value (4392.565 -> 4392.56), where Spark's exact decimal
    rounds it up (4392.57). -#}
{% macro mean_to_the_cent(column) -%}
    cast(
        round(cast(sum({{ column }} * 100) as double) / count({{ column }})) / 100
        as {{ exact_decimal_type() }}
    )
{%- endmacro %}
