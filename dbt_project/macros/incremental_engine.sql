{#- Incremental models on each engine. DuckDB merges a run's rows into the stored table (merge,
    delete+insert, hooks that delete). Spark's tables here are Parquet, which has neither merge
    nor delete (Delta or Iceberg would, with jars fetched at run time): there every incremental
    model is rebuilt whole from its inputs on every run, as a full rebuild does, so is_incremental()
    is false on Spark and its incremental materialization builds a table. The results equal a
    full rebuild's; what cannot be rebuilt from the data (the run history that full_refresh=false
    models keep across runs) restarts with every Spark run. -#}

{#- Overrides dbt's is_incremental() for every model and hook of the project. -#}
{% macro is_incremental() -%}
    {{ return(adapter.dispatch('is_incremental', 'cadence')()) }}
{%- endmacro %}

{% macro duckdb__is_incremental() -%}
    {{ return(dbt.is_incremental()) }}
{%- endmacro %}

{% macro default__is_incremental() -%}
    {{ return(false) }}
{%- endmacro %}


{% materialization incremental, adapter='spark' -%}
    {{ return(materialization_table_spark()) }}
{%- endmaterialization %}
