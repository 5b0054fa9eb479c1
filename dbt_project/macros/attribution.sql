{#- The type of an attribution weight (a share of one order): exact, so that sums of weights and
    of attributed revenue do not depend on the order rows are added in, and a rerun publishes the
    same digits; twelve decimals keep a model's weights of an order summing to 1 within 1e-9. -#}
{% macro attribution_weight_type() -%}
    decimal(18, 12)
{%- endmacro %}



{#- The attribution models that credit touches by rule (int_order_touches_weighted); markov,
    credited per channel, comes on top in mart_order_attribution. -#}
{% macro rule_based_attribution_models() -%}
    {{ return(['first_touch', 'last_touch', 'linear', 'time_decay', 'position_based']) }}
{%- endmacro %}


{#- Every model of mart_order_attribution. -#}
{% macro attribution_models() -%}
    {{ return(rule_based_attribution_models() + ['markov']) }}
{%- endmacro %}
