{#- Rows with a null in any of a model's required columns, in one scan of the model: a not_null
    test per column made each column a node of every build (dbt's overhead, a scan and a Dagster
    asset check; README, Benchmark). Each failing row comes
    first with `null_columns`, the listed columns it leaves null, comma-separated (concat_ws
    skips nulls on DuckDB and Spark alike). -#}
{% test not_null_columns(model, column_names) %}
select
    concat_ws(
        ', '
        {%- for column in column_names %},
        case when {{ column }} is null then '{{ column }}' end
        {%- endfor %}
    ) as null_columns,
    *
from {{ model }}
where
    {% for column in column_names -%}
        {{ 'or ' if not loop.first }}{{ column }} is null
    {% endfor %}
{% endtest %}
