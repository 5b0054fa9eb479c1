-- Connected components of the identity graph: each record's customer. Labels propagate as the
-- smallest record_rank through shared links, record -> link -> record, for a bounded number of
-- iterations (var identity_max_iterations), unrolled so the SQL runs on any engine. One extra
-- iteration checks convergence: if any label still moves, the model fails instead of splitting
-- a person in two.
{%- set max_iterations = var('identity_max_iterations', 12) %}

with edges as (
    select
        record_rank,
        link_id
    from {{ ref('int_record_links_ranked') }}
),

records as {{ materialized_cte() }} (
    select distinct
        record_key,
        record_type,
        first_seen_at,
        record_rank
    from {{ ref('int_record_links_ranked') }}
),

labels_0 as {{ materialized_cte() }} (
    select
        record_rank,
        record_rank as component_rank
    from records
),
{% for i in range(1, max_iterations + 2) %}
    link_labels_{{ i }} as {{ materialized_cte() }} (
        select
            edges.link_id,
            min(labels_{{ i - 1 }}.component_rank) as component_rank
        from edges
        inner join labels_{{ i - 1 }} on edges.record_rank = labels_{{ i - 1 }}.record_rank
        group by edges.link_id
    ),

    labels_{{ i }} as {{ materialized_cte() }} (
        select
            edges.record_rank,
            min(link_labels_{{ i }}.component_rank) as component_rank
        from edges
        inner join link_labels_{{ i }} on edges.link_id = link_labels_{{ i }}.link_id
        group by edges.record_rank
    ),
{% endfor %}
unconverged as (
    select count(*) as moving_records
    from labels_{{ max_iterations }} as settled
    inner join labels_{{ max_iterations + 1 }} as next_iteration
        on settled.record_rank = next_iteration.record_rank
    where settled.component_rank <> next_iteration.component_rank
),

components as (
    select
        records.record_key,
        records.record_type,
        records.first_seen_at,
        labels_{{ max_iterations }}.component_rank
    from records
    inner join labels_{{ max_iterations }}
        on records.record_rank = labels_{{ max_iterations }}.record_rank
)

select
    components.record_key,
    components.record_type,
    components.first_seen_at,
    anchors.record_key as anchor_record_key,
    case
        when unconverged.moving_records = 0 then {{ dbt.hash('anchors.record_key') }}
        else {{ raise_error(
            "concat('identity stitching did not converge within "
            ~ max_iterations ~ " iterations (', cast(unconverged.moving_records as "
            ~ dbt.type_string() ~ "), ' records still moving): raise var identity_max_iterations')"
        ) }}
    end as customer_key
from components
inner join records as anchors on components.component_rank = anchors.record_rank
cross join unconverged
