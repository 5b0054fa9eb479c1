{#- The same key delivered twice in one delivery (one `_dt`) with different content. A later
    delivery may legitimately change a record; within one delivery the source contradicts itself,
    and which version is true cannot be decided: this blocks publishing. Returns one row per key. -#}
{% test conflicting_duplicates(model, column_name, content_columns, delivery_column='_dt') %}
select
    {{ column_name }} as duplicated_key,
    {{ delivery_column }} as delivery,
    count(*) as copies,
    count(distinct {{ hash_columns(content_columns) }}) as distinct_versions
from {{ model }}
where {{ column_name }} is not null
group by {{ column_name }}, {{ delivery_column }}
having count(distinct {{ hash_columns(content_columns) }}) > 1
{% endtest %}
