{#- Rows with a null in any of a model's required columns, in one scan of the model: a not_null
    test per column made each column a node of every build (dbt's overhead, a scan and a Dagster
    asset check, about 19 ms apiece at 1M; 160 of them until 2026-12-04). Each failing row comes
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
