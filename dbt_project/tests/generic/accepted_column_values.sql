{#- Rows with a value outside its column's accepted set or range, in one scan of the model: an
    accepted_values or value_between test per column made each column a node of every build
    (dbt's overhead, a scan and a Dagster asset check; README, Benchmark). `values` maps a column
    to its accepted values; a string is quoted, a boolean or number is not (dbt's accepted_values
    with quote: false), so `[true]` accepts the boolean, which Spark would not cast from 'True'.
    `between` maps a column to its inclusive [min, max], written into the SQL as they are. Nulls
    pass both, as they did: `x not in (...)` and `x < min` are null for a null x, which neither
    the where clause nor concat_ws counts. Each failing row comes first with `failing_columns`,
    the listed columns it breaks, comma-separated. Each use is named in the yml
    (accepted_column_values_<model>): dbt would build the name from the values, so changing one
    rule would rename the model's only check, and Dagster would lose its history. -#}
{% test accepted_column_values(model, values={}, between={}) %}
{%- set rules = [] -%}
{%- for column, accepted in values.items() -%}
    {%- set literals = [] -%}
    {%- for value in accepted -%}
        {%- if value is string -%}
            {%- do literals.append("'" ~ value | replace("'", "''") ~ "'") -%}
        {%- elif value is boolean -%}
            {%- do literals.append('true' if value else 'false') -%}
        {%- else -%}
            {%- do literals.append(value | string) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- do rules.append((column, column ~ ' not in (' ~ literals | join(', ') ~ ')')) -%}
{%- endfor -%}
{%- for column, bounds in between.items() -%}
    {%- do rules.append((column, column ~ ' < ' ~ bounds[0] ~ ' or ' ~ column ~ ' > ' ~ bounds[1])) -%}
{%- endfor -%}
{%- if not rules -%}
    {{ exceptions.raise_compiler_error(
        'accepted_column_values on ' ~ model ~ ' names no column in values or between') }}
{%- endif %}
select
    concat_ws(
        ', '
        {%- for column, broken in rules %},
        case when {{ broken }} then '{{ column }}' end
        {%- endfor %}
    ) as failing_columns,
    *
from {{ model }}
where
    {% for column, broken in rules -%}
        {{ 'or ' if not loop.first }}({{ broken }})
    {% endfor %}
{% endtest %}
