{#- Incremental models on each engine. DuckDB merges a run's rows into the stored table (merge,
    delete+insert, hooks that delete). Spark's tables here are Parquet, which has neither merge
    nor delete (Delta or Iceberg would, with jars fetched at run time) but can append: there an
    `append` model (a history that only grows) appends as on DuckDB, and every other incremental
    model is rebuilt whole from its inputs on every run, as a full rebuild does, so
    is_incremental() is false for it and its incremental materialization builds a table. The
    results equal a full rebuild's; what cannot be rebuilt from the data and is not appended (the
    tag history that full_refresh=false models keep across runs) restarts with every Spark run. -#}

{#- Overrides dbt's is_incremental() for every model and hook of the project. -#}
{% macro is_incremental() -%}
    {{ return(adapter.dispatch('is_incremental', 'cadence')()) }}
{%- endmacro %}

{% macro duckdb__is_incremental() -%}
    {{ return(dbt.is_incremental()) }}
{%- endmacro %}

{% macro default__is_incremental() -%}
    {{ return(appends_on_spark() and dbt.is_incremental()) }}
{%- endmacro %}


{#- The model appends: Parquet can, so Spark runs dbt-spark's own incremental materialization. -#}
{% macro appends_on_spark() -%}
    {{ return(config.get('incremental_strategy') == 'append') }}
{%- endmacro %}


{% materialization incremental, adapter='spark' -%}
    {%- if appends_on_spark() -%}
        {#- dbt-spark's, which this one overrides -#}
        {{ return(dbt.materialization_incremental_spark()) }}
    {%- else -%}
        {{ return(materialization_table_spark()) }}
    {%- endif -%}
{%- endmaterialization %}
