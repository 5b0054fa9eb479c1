{#- Regular-expression functions differ between engines; these dispatch to each adapter so the
    models stay portable (DuckDB here, Spark via dbt-spark on the scale-out path). -#}

{% macro regexp_replace_all(string, pattern, replacement) -%}
    {{ return(adapter.dispatch('regexp_replace_all', 'cadence')(string, pattern, replacement)) }}
{%- endmacro %}

{% macro duckdb__regexp_replace_all(string, pattern, replacement) -%}
    regexp_replace({{ string }}, {{ pattern }}, {{ replacement }}, 'g')
{%- endmacro %}

{% macro default__regexp_replace_all(string, pattern, replacement) -%}
    regexp_replace({{ string }}, {{ java_regex(pattern) }}, {{ replacement }})
{%- endmacro %}


{% macro regexp_like(string, pattern) -%}
    {{ return(adapter.dispatch('regexp_like', 'cadence')(string, pattern)) }}
{%- endmacro %}

{% macro duckdb__regexp_like(string, pattern) -%}
    regexp_matches({{ string }}, {{ pattern }})
{%- endmacro %}

{% macro default__regexp_like(string, pattern) -%}
    ({{ string }} rlike {{ java_regex(pattern) }})
{%- endmacro %}


{% macro regexp_extract_group(string, pattern, group) -%}
    {{ return(adapter.dispatch('regexp_extract_group', 'cadence')(string, pattern, group)) }}
{%- endmacro %}

{% macro duckdb__regexp_extract_group(string, pattern, group) -%}
    nullif(regexp_extract({{ string }}, {{ pattern }}, {{ group }}), '')
{%- endmacro %}

{% macro default__regexp_extract_group(string, pattern, group) -%}
    nullif(regexp_extract({{ string }}, {{ java_regex(pattern) }}, {{ group }}), '')
{%- endmacro %}


{#- A pattern (a quoted SQL literal) for Java's regular expressions, which Spark uses: Java reads
    the POSIX class [:space:] as the characters ':', 's', 'p', 'a', 'c', 'e'; its \s is the same
    whitespace (backslash doubled: Spark's string literals take backslash escapes). -#}
{% macro java_regex(pattern) -%}
    {{ pattern | replace('[:space:]', '\\\\s') }}
{%- endmacro %}


{#- Stops the build with a message: for invariants a model must not silently break. -#}
{% macro raise_error(message) -%}
    {{ return(adapter.dispatch('raise_error', 'cadence')(message)) }}
{%- endmacro %}

{% macro duckdb__raise_error(message) -%}
    error({{ message }})
{%- endmacro %}

{% macro default__raise_error(message) -%}
    raise_error({{ message }})
{%- endmacro %}


{#- Keyword that makes the engine compute a CTE once. DuckDB otherwise inlines each CTE where it
    is used, and a chain of dozens of them (the unrolled label propagation) takes its optimizer
    minutes on three rows instead of milliseconds. Spark plans such chains without it. -#}
{% macro materialized_cte() -%}
    {{ return(adapter.dispatch('materialized_cte', 'cadence')()) }}
{%- endmacro %}

{% macro duckdb__materialized_cte() -%}
    materialized
{%- endmacro %}

{% macro default__materialized_cte() -%}
{%- endmacro %}


{#- The local calendar date of a UTC timestamp, in var `reporting_timezone` (the business's
    timezone: days, weeks and months of the marts are local). -#}
{% macro utc_to_local_date(column) -%}
    {{ return(adapter.dispatch('utc_to_local_date', 'cadence')(column)) }}
{%- endmacro %}

{% macro duckdb__utc_to_local_date(column) -%}
    cast(timezone('{{ var("reporting_timezone") }}', timezone('UTC', {{ column }})) as date)
{%- endmacro %}

{% macro default__utc_to_local_date(column) -%}
    to_date(from_utc_timestamp({{ column }}, '{{ var("reporting_timezone") }}'))
{%- endmacro %}


{#- One row per date from `start_date` to `end_date` (date expressions, both included), column
    `day`: a join on it bounds a scan by day, which a comparison with a subquery does not (DuckDB
    prunes a scan with the join's dynamic filter on the day column). -#}
{% macro day_spine(start_date, end_date) -%}
    {{ return(adapter.dispatch('day_spine', 'cadence')(start_date, end_date)) }}
{%- endmacro %}

{% macro duckdb__day_spine(start_date, end_date) -%}
    select cast(unnest(generate_series(
        cast({{ start_date }} as date), cast({{ end_date }} as date), interval 1 day
    )) as date) as day
{%- endmacro %}

{% macro default__day_spine(start_date, end_date) -%}
    select explode(sequence(
        cast({{ start_date }} as date), cast({{ end_date }} as date), interval 1 day
    )) as day
{%- endmacro %}


{#- The values of a group joined by `delimiter` (a quoted literal) in ascending order. dbt's
    listagg cannot order on Spark, where a group's values come in no set order. -#}
{% macro sorted_string_agg(column, delimiter) -%}
    {{ return(adapter.dispatch('sorted_string_agg', 'cadence')(column, delimiter)) }}
{%- endmacro %}

{% macro duckdb__sorted_string_agg(column, delimiter) -%}
    {{ dbt.listagg(column, delimiter, 'order by ' ~ column) }}
{%- endmacro %}

{% macro default__sorted_string_agg(column, delimiter) -%}
    array_join(array_sort(collect_list({{ column }})), {{ delimiter }})
{%- endmacro %}


{#- Whether DuckDB keeps the order rows were inserted in, from a model's pre-hook (false) to its
    post-hook (back to the connection's setting). Without that order to keep, DuckDB's windows and
    sorts can spill to disk where they would otherwise hold their rows in memory: the full build
    of int_customer_days_summarised at 10M ran out of a 3GB limit ("failed to pin block") with it
    and built in 16 s without. No model's result may depend on row order anyway. Spark keeps no
    such order: nothing to set (an empty hook is skipped). -#}
{% macro keep_insertion_order(keep) -%}
    {{ return(adapter.dispatch('keep_insertion_order', 'cadence')(keep)) }}
{%- endmacro %}

{% macro duckdb__keep_insertion_order(keep) -%}
    {%- if keep -%}
        reset preserve_insertion_order
    {%- else -%}
        set preserve_insertion_order = false
    {%- endif -%}
{%- endmacro %}

{% macro default__keep_insertion_order(keep) -%}
{%- endmacro %}
