{#- The node a generic test checks (a model, seed, snapshot or source), or none. -#}
{% macro tested_node(test) -%}
    {%- set sources = test.depends_on.nodes | select('string') | list -%}
    {%- set unique_id = test.attached_node
        or (sources | first if sources | length == 1 and sources[0].startswith('source.')) -%}
    {%- if not unique_id -%}
        {{ return(none) }}
    {%- elif unique_id.startswith('source.') -%}
        {{ return(graph.sources[unique_id]) }}
    {%- else -%}
        {{ return(graph.nodes[unique_id]) }}
    {%- endif -%}
{%- endmacro %}

{#- Tests scale with the change. dbt wraps the relation a generic test checks in this subquery.
    When the run loads some days only, a test of an incremental model (or of a raw source, which
    extraction appends to by day) that declares `meta: {run_day_column: <column>}` checks the rows
    of those days alone: history was checked by the runs that loaded it. Tests of a key across
    history (unique, exact copies) are the exception: when the model's merge key is the column,
    the merge itself keeps the key unique against history; otherwise the run's rows are checked
    together with the older rows that carry one of their keys (one scan of the key column, no sort
    of all rows). A full build or `--full-refresh` checks everything. A `where` config still
    applies. -#}
{% macro get_where_subquery(relation) -%}
    {%- set conditions = [config.get('where')] if config.get('where') else [] -%}
    {%- set node = tested_node(model) if execute else none -%}
    {%- set day_column = (node.config.meta or {}).get('run_day_column') if node else none -%}
    {%- set incremental = node and (node.resource_type == 'source'
        or node.config.materialized == 'incremental') -%}
    {%- if not (execute and run_names_its_days() and day_column and incremental) -%}
        {{ return(dbt.default__get_where_subquery(relation)) }}
    {%- endif -%}
    {%- set in_run = delivered_in_run(day_column) -%}
    {%- set base = (conditions + ['true']) | join(' and ') -%}
    {%- set key = model.test_metadata.kwargs.get('column_name')
        if model.test_metadata.name in ['unique', 'exact_duplicates'] else none -%}
    {%- if key and node.config.get('unique_key') != key -%}
        {%- set scoped -%}
            (select * from {{ relation }} where {{ base }} and {{ in_run }}
            union all
            select * from {{ relation }}
            where {{ base }} and not ({{ in_run }})
                and {{ key }} in (
                    select {{ key }} from {{ relation }} where {{ base }} and {{ in_run }}
                )) dbt_subquery
        {%- endset -%}
    {%- else -%}
        {%- set scoped -%}
            (select * from {{ relation }} where {{ base }} and {{ in_run }}) dbt_subquery
        {%- endset -%}
    {%- endif -%}
    {{ return(scoped) }}
{%- endmacro %}
