{#- The raw layer on each engine. On DuckDB the sources are extraction's tables in schema raw:
    nothing to do. Elsewhere (Spark) they are external Parquet tables over the lake extraction
    writes, var `lake_dir`/raw/<table>/_dt=YYYY-MM-DD/: dropped and created again at the start of
    every run (dropping an external table never deletes its files), so that the table has the
    lake's current columns and every day landed so far. Run by `on-run-start`. -#}
{% macro register_raw_sources() -%}
    {{ return(adapter.dispatch('register_raw_sources', 'cadence')()) }}
{%- endmacro %}

{% macro duckdb__register_raw_sources() -%}
{%- endmacro %}

{% macro default__register_raw_sources() -%}
    {%- if execute -%}
        {%- set sources = graph.sources.values() | selectattr('package_name', 'equalto', project_name)
            | list -%}
        {%- for schema in sources | map(attribute='schema') | unique -%}
            {%- do run_query('create database if not exists ' ~ schema) -%}
        {%- endfor -%}
        {%- for source in sources -%}
            {%- set table = source.schema ~ '.' ~ source.identifier -%}
            {%- do run_query('drop table if exists ' ~ table) -%}
            {#- The columns and the partition column _dt (a date) are inferred from the files; the
                catalog knows no partition until they are recovered: without it the table reads
                empty. -#}
            {%- do run_query(
                'create table ' ~ table ~ ' using parquet location '
                ~ "'" ~ var('lake_dir') ~ '/raw/' ~ source.identifier ~ "'"
            ) -%}
            {%- do run_query('alter table ' ~ table ~ ' recover partitions') -%}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}
