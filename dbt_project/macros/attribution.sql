{#- The type of an attribution weight (a share of one order): exact, so that sums of weights and
    of attributed revenue do not depend on the order rows are added in, and a rerun publishes the
    same digits; twelve decimals keep a model's weights of an order summing to 1 within 1e-9. -#}
{% macro attribution_weight_type() -%}
    decimal(18, 12)
{%- endmacro %}



{#- The attribution models that credit touches by rule (int_order_touches_weighted, then
    mart_order_attribution); markov, credited per channel, has a mart of its own
    (mart_order_attribution_markov). -#}
{% macro rule_based_attribution_models() -%}
    {{ return(['first_touch', 'last_touch', 'linear', 'time_decay', 'position_based']) }}
{%- endmacro %}


{#- Every attribution model of mart_channel_attribution. -#}
{% macro attribution_models() -%}
    {{ return(rule_based_attribution_models() + ['markov']) }}
{%- endmacro %}


{#- A share of an order's revenue, `weight` x reporting_amount, in exact decimals rounded half up
    on both engines: a double product rounds an exact half cent by its binary value on DuckDB
    (261.835 -> 261.83) and up on Spark (261.84). The widths keep the product exact: DuckDB keeps
    a product of two decimals of width 18 or less in 18 digits (it overflowed at 10^4), and types
    this one decimal(37, 14); Spark decimal(14 + 23 + 1 = 38, 14) (any wider and it would cut the
    scale to 6). Rounded with round() before the cast, which gives the same cents (both round
    half up): DuckDB's cast of a 128-bit decimal to two decimals is three times slower, 2.9 s for
    the 1.7M markov shares at 10M against 1.0 s. -#}
{% macro rounded_share() -%}
    cast(
        round(cast(weight as decimal(14, 12)) * cast(reporting_amount as decimal(23, 2)), 2)
        as {{ exact_decimal_type() }}
    )
{%- endmacro %}


{#- An order's attributed revenue from its rounded shares (`rounded_revenue`): the largest share
    (`share_rank` 1, numbered by the caller within `order_partition`) takes what rounding left
    over, so that an order's attributed revenue adds up to its revenue exactly. -#}
{% macro attributed_revenue(order_partition) -%}
    cast(
        rounded_revenue
        + case
            when share_rank = 1
                then reporting_amount
                - sum(rounded_revenue) over (partition by {{ order_partition }})
            else 0
        end
        as {{ exact_decimal_type() }}
    )
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
