-- Connected components of the identity graph: each record's customer. Labels propagate as the
-- smallest record_rank through shared links, record -> link -> record, for a bounded number of
-- iterations (var identity_max_iterations), unrolled so the SQL runs on any engine. One extra
-- iteration checks convergence: if any label still moves, the model fails instead of splitting
-- a person in two. The customer's key is the hash of its earliest-seen record.
--
-- Incremental (delete+insert on record_key): a run re-labels only the customers its changed
-- records touch. Its graph holds every record sharing a link with a changed record, and every
-- record of the customers those belonged to so far, each customer standing as one link (its
-- records are connected already). New links can only join customers, so the components of this
-- graph are the full build's; the earliest-seen record of a merged customer anchors it, so the
-- older key survives and the absorbed customer's records move to it. Only a full rebuild splits
-- a customer (an identifier newly junk, a CRM record that dropped an identifier).
{{ config(unique_key='record_key') }}
{%- set max_iterations = var('identity_max_iterations') %}

with links as (
    select * from {{ ref('int_record_links_screened') }}
),

{% if is_incremental_run() -%}
    changed_links as (
        select distinct link_value
        from links
        where {{ changed_in_run('last_delivered_date') }}
    ),

    linked as (
        select links.*
        from links
        inner join changed_links on links.link_value = changed_links.link_value
    ),

    touched_customers as (
        select distinct existing.customer_key
        from {{ this }} as existing
        inner join (select distinct record_key from linked) as linked_records
            on existing.record_key = linked_records.record_key
    ),

    members as (
        select existing.*
        from {{ this }} as existing
        inner join touched_customers on existing.customer_key = touched_customers.customer_key
    ),

    graph_links as (
        select
            record_key,
            link_value
        from linked
        union all
        select
            record_key,
            concat('customer:', customer_key) as link_value
        from members
    ),

    graph_records as (
        select
            record_key,
            record_type,
            first_seen_at,
            last_delivered_date
        from linked
        union
        select
            record_key,
            record_type,
            first_seen_at,
            last_delivered_date
        from members
        where record_key not in (select record_key from linked)
    ),
{%- else -%}
    graph_links as (
        select
            record_key,
            link_value
        from links
    ),

    graph_records as (
        select distinct
            record_key,
            record_type,
            first_seen_at,
            last_delivered_date
        from links
    ),
{%- endif %}

records as {{ materialized_cte() }} (
    select
        *,
        row_number() over (order by first_seen_at, record_key) as record_rank
    from graph_records
),

edges as {{ materialized_cte() }} (
    select
        records.record_rank,
        dense_rank() over (order by graph_links.link_value) as link_id
    from graph_links
    inner join records on graph_links.record_key = records.record_key
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
        records.last_delivered_date,
        labels_{{ max_iterations }}.component_rank
    from records
    inner join labels_{{ max_iterations }}
        on records.record_rank = labels_{{ max_iterations }}.record_rank
)

select
    components.record_key,
    components.record_type,
    components.first_seen_at,
    components.last_delivered_date,
    max(components.last_delivered_date) over (partition by components.component_rank)
        as customer_last_delivered_date,
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
