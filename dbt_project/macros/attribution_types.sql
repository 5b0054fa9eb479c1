{#- The type of an attribution weight (a share of one order): exact, so that sums of weights and
    of attributed revenue do not depend on the order rows are added in, and a rerun publishes the
    same digits; twelve decimals keep a model's weights of an order summing to 1 within 1e-9. -#}
{% macro attribution_weight_type() -%}
    decimal(18, 12)
{%- endmacro %}

