{#- Copies of a row with the same key and content (an at-least-once delivery, a file re-sent as
    is). Staging keeps one copy, so this is a warning; its count is the number of surplus copies. -#}
{% test exact_duplicates(model, column_name, content_columns) %}
{{ config(severity='warn', fail_calc='coalesce(sum(surplus_copies), 0)') }}
select
    {{ column_name }} as duplicated_key,
    count(*) - 1 as surplus_copies
from {{ model }}
where {{ column_name }} is not null
group by {{ column_name }}, {{ hash_columns(content_columns) }}
having count(*) > 1
{% endtest %}
