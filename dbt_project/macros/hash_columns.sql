{#- One hash over columns (row content, or a surrogate key), nulls kept distinct from empty text;
    built from dbt's cross-database macros so it also runs on Spark. -#}
{% macro hash_columns(columns) -%}
    {%- set parts = [] -%}
    {%- for column in columns -%}
        {%- do parts.append(
            "coalesce(" ~ dbt.cast(column, api.Column.translate_type("string")) ~ ", '<null>')"
        ) -%}
        {%- if not loop.last -%}{%- do parts.append("'|'") -%}{%- endif -%}
    {%- endfor -%}
    {{ dbt.hash(dbt.concat(parts)) }}
{%- endmacro %}
