{#- True for rows delivered in the run's delivery days (vars run_start, run_end, ISO dates); true
    for every row when the orchestrator passes no range, so that models recompute everything. -#}
{% macro delivered_in_run(delivered_date) -%}
    {%- set run_start = var('run_start') -%}
    {%- set run_end = var('run_end') -%}
    {%- if run_start and run_end -%}
        {{ delivered_date }} between cast('{{ run_start }}' as date) and cast('{{ run_end }}' as date)
    {%- elif run_start -%}
        {{ delivered_date }} >= cast('{{ run_start }}' as date)
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}
