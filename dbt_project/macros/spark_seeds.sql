{#- Seeds on Spark's session method. dbt-spark binds each value into its insert by plain string
    formatting, without escaping: a quote in a value (rfm_segments' "Can't Lose Them") breaks the
    statement. This writes the values as escaped literals instead (dbt's global macros look in the
    project first). -#}
{% macro spark__load_csv_rows(model, agate_table) -%}
    {%- set column_override = model['config'].get('column_types', {}) -%}
    {%- set types = [] -%}
    {%- for column_name in agate_table.column_names -%}
        {%- do types.append(
            column_override.get(column_name, adapter.convert_type(agate_table, loop.index0))
        ) -%}
    {%- endfor -%}
    {%- set rows = [] -%}
    {%- for row in agate_table.rows -%}
        {%- set values = [] -%}
        {%- for value in row -%}
            {%- if value is none -%}
                {%- do values.append('cast(null as ' ~ types[loop.index0] ~ ')') -%}
            {%- else -%}
                {%- do values.append(
                    "cast('" ~ escape_single_quotes(value | string) ~ "' as "
                    ~ types[loop.index0] ~ ")"
                ) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- do rows.append('(' ~ values | join(', ') ~ ')') -%}
    {%- endfor -%}
    {%- set sql = 'insert into ' ~ this.render() ~ ' values ' ~ rows | join(', ') -%}
    {%- if rows -%}
        {%- do adapter.add_query(sql, abridge_sql_log=True) -%}
    {%- endif -%}
    {{ return(sql) }}
{%- endmacro %}
