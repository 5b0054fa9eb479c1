{#- A setting the run hands dbt (var run_start, run_end or as_of_date), none when not given.
    Read only while executing: these vars default to environment variables that change with every
    run, and dbt re-parses each file that read an environment variable whose value changed since
    its last parse. -#}
{% macro run_setting(name) -%}
    {{ return((var(name) or none) if execute else none) }}
{%- endmacro %}


{#- The run's delivery days: vars `run_start`..`run_end` (ISO dates) that the daily run passes.
    An incremental model takes its incremental path only when the table exists and the run
    names its days; otherwise (first build, `--full-refresh`, or no days given) it computes
    everything from its inputs, as a full rebuild does. -#}
{% macro is_incremental_run() -%}
    {#- is_incremental() is already false on --full-refresh; not asking flags again lets a unit
        test stand for an incremental run by overriding is_incremental. -#}
    {{ return(is_incremental() and run_setting('run_start') is not none) }}
{%- endmacro %}


{#- The run names its delivery days and is not a full rebuild: for views, which have no
    is_incremental() of their own. -#}
{% macro run_names_its_days() -%}
    {{ return(run_setting('run_start') is not none and not flags.FULL_REFRESH) }}
{%- endmacro %}


{#- Rows delivered in the run's delivery days (raw is replaced per `_dt` by extraction); every
    row when the run names no days or is a full rebuild, so that a model (or a test) covers
    everything. -#}
{% macro delivered_in_run(column) -%}
    {%- if not run_names_its_days() -%}
        true
    {%- else -%}
        {{ column }} >= cast('{{ run_setting("run_start") }}' as date)
        {%- if run_setting('run_end') is not none %}
            and {{ column }} <= cast('{{ run_setting("run_end") }}' as date)
        {%- endif %}
    {%- endif -%}
{%- endmacro %}


{#- Derived rows the run may have changed: their latest delivery day is on or after the run's
    first day. Open-ended on purpose: when a past day is re-run, a record whose latest delivery
    is a later day may still have changed, and recomputing it again is harmless. -#}
{% macro changed_in_run(column) -%}
    {{ column }} >= cast('{{ run_setting("run_start") }}' as date)
{%- endmacro %}


{#- Staging's filter on its raw source: the rows delivered on the run's days, and every copy, of
    any day, of a key whose staged version came from one of those days (a day landed again, whose
    rows replace what staging chose from it). -#}
{% macro restaged_in_run(key) -%}
    {{ delivered_in_run('_dt') }}
    or trim({{ key }}) in (
        select {{ key }} from {{ this }}
        where {{ delivered_in_run('delivered_date') }}
    )
{%- endmacro %}


{#- What a staging model chooses from: the rows of `cte` (its renamed raw rows) and, on an
    incremental run, the version staged so far of each of their keys. That version won over
    every earlier copy, so choosing among it and the new copies gives what a full build would,
    without reading the raw history of the key. -#}
{% macro with_staged_versions(cte, key) -%}
    {%- if is_incremental_run() -%}
        (
            select * from {{ cte }}
            union all
            select * from {{ this }}
            where
                {{ key }} in (select {{ key }} from {{ cte }})
                and not ({{ delivered_in_run('delivered_date') }})
        ) as {{ cte }}
    {%- else -%}
        {{ cte }}
    {%- endif -%}
{%- endmacro %}
