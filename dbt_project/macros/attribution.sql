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


{#- The orders a run received refunded or cancelled (of any date): they earn no credit, and the
    attribution models delete them before their incremental insert. The model that calls it
    declares `-- depends_on:` stg_orders__orders. -#}
{% macro orders_unpaid_in_run() -%}
    select order_id from {{ ref('stg_orders__orders') }}
    where {{ delivered_in_run('delivered_date') }} and order_status <> 'paid'
{%- endmacro %}


{#- The last delivery day of the run, stored with the rows an incremental state recomputed so that
    a later model in the same run takes just those (changed_in_run); null on a full build, whose
    rows a later run never needs to take again. -#}
{% macro run_day_marker() -%}
    {%- if run_names_its_days() -%}
        cast('{{ run_setting("run_end") or run_setting("run_start") }}' as date)
    {%- else -%}
        cast(null as date)
    {%- endif -%}
{%- endmacro %}
