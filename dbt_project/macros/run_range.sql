{#- The run's delivery days: vars `run_start`..`run_end` (ISO dates) that the daily run passes.
    An incremental model takes its incremental path only when the table exists and the run
    names its days; otherwise (first build, `--full-refresh`, or no days given) it computes
    everything from its inputs, as a full rebuild does. -#}
{% macro is_incremental_run() -%}
    {{ return(is_incremental() and run_names_its_days()) }}
{%- endmacro %}


{#- The run names its delivery days and is not a full rebuild: for views, which have no
    is_incremental() of their own. -#}
{% macro run_names_its_days() -%}
    {{ return(var('run_start') is not none and not flags.FULL_REFRESH) }}
{%- endmacro %}


{#- Raw rows of the run's delivery days (raw is replaced per `_dt` by extraction). -#}
{% macro delivered_in_run(column) -%}
    {{ column }} >= cast('{{ var("run_start") }}' as date)
    {%- if var('run_end') is not none %}
        and {{ column }} <= cast('{{ var("run_end") }}' as date)
    {%- endif %}
{%- endmacro %}


{#- Derived rows the run may have changed: their latest delivery day is on or after the run's
    first day. Open-ended on purpose: when a past day is re-run, a record whose latest delivery
    is a later day may still have changed, and recomputing it again is harmless. -#}
{% macro changed_in_run(column) -%}
    {{ column }} >= cast('{{ var("run_start") }}' as date)
{%- endmacro %}


{#- Staging's filter on a raw source: every delivered copy, of any day, of the keys delivered in
    the run. The staging model then chooses among all copies of a key exactly as a full build
    would, so a copy re-delivered after an earlier day is still deduplicated against history. -#}
{% macro copies_of_keys_delivered_in_run(relation, key) -%}
    trim({{ key }}) in (
        select trim({{ key }}) from {{ relation }}
        where {{ delivered_in_run('_dt') }}
    )
{%- endmacro %}
