{#- Tests scale with the change. dbt wraps the relation a generic test checks in this subquery.
    When the run loads some days only, a test of an incremental model that declares
    `meta: {run_day_column: <column>}` checks the rows of those days alone: history was checked by
    the runs that built it. The column is the rows' delivery day, or the day of the run that
    wrote them (run_day_marker). That holds for `unique` too, because such a model's unique tests
    are on its merge key, which the merge keeps unique against history, or on a column that
    determines that key (tests/test_run_scope.py checks that they are). A full build or `--full-refresh` checks everything. A `where` config
    still applies. -#}
{% macro get_where_subquery(relation) -%}
    {%- set node = graph.nodes.get(model.attached_node) if execute and model.attached_node
        else none -%}
    {%- set day_column = (node.config.meta or {}).get('run_day_column') if node else none -%}
    {%- if not (execute and run_names_its_days() and day_column
        and node.config.materialized == 'incremental') -%}
        {{ return(dbt.default__get_where_subquery(relation)) }}
    {%- endif -%}
    {%- set conditions = ([config.get('where')] if config.get('where') else [])
        + [delivered_in_run(day_column)] -%}
    {%- set scoped -%}
        (select * from {{ relation }} where {{ conditions | join(' and ') }}) dbt_subquery
    {%- endset -%}
    {{ return(scoped) }}
{%- endmacro %}
