{#- The same key delivered twice in one delivery (one `_dt`) with different content. A later
    delivery may legitimately change a record; within one delivery the source contradicts itself,
    and which version is true cannot be decided: this blocks publishing. For entities versioned
    by a column (CRM customers by updated_at), several versions of a key in one delivery are
    history, and only copies of the same version may not differ. One row per conflicting key. -#}
{% test conflicting_duplicates(
    model, column_name, content_columns, delivery_column='_dt', version_column=none
) %}
{%- set grain = [column_name, delivery_column] + ([version_column] if version_column else []) %}
select
    {{ grain | join(', ') }},
    count(*) as copies,
    count(distinct {{ hash_columns(content_columns) }}) as distinct_versions
from {{ model }}
where {{ column_name }} is not null
group by {{ grain | join(', ') }}
having count(distinct {{ hash_columns(content_columns) }}) > 1
{% endtest %}
