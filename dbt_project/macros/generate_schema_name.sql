{#- Schemas are the layers' real names (raw, staging, intermediate, marts), not dbt's
    "<target>_<custom>" concatenation: BI tools and the publish step rely on them. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
