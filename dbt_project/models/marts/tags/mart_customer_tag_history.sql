{{
    config(
        materialized='incremental',
        unique_key='tag_version_id',
        incremental_strategy='merge',
        full_refresh=false,
        on_schema_change='fail',
        merge_clauses={
            'when_matched': [
                {'condition': 'DBT_INTERNAL_SOURCE.valid_to = DBT_INTERNAL_SOURCE.valid_from',
                 'action': 'delete'},
                {'action': 'update', 'mode': 'by_name'}
            ],
            'when_not_matched': [
                {'condition': 'DBT_INTERNAL_SOURCE.valid_to is null'
                    ~ ' or DBT_INTERNAL_SOURCE.valid_to > DBT_INTERNAL_SOURCE.valid_from',
                 'action': 'insert', 'mode': 'by_name'}
            ]
        }
    )
}}
-- Every tag a customer held, with when (grain: customer_key, tag_group, tag, valid_from): an SCD2
-- over the as-of dates of the runs; definitions in _tags__models.yml. A run with as-of date D
-- writes only what changed: a tag newly held opens a version from D, a version no longer held
-- closes at D. Running D again first undoes D's changes (a version opened on D and no longer held
-- is deleted, a version closed on D and held again reopens), so it never adds a version.
-- full_refresh=false: run history cannot be rebuilt from the data, a full rebuild keeps it.

with current_versions as (
    select
        {{ hash_columns(['customer_key', 'tag_group', 'tag', 'as_of_date']) }}
            as tag_version_id,
        customer_key,
        tag_group,
        tag,
        as_of_date as valid_from,
        cast(null as date) as valid_to
    from {{ ref('mart_customer_tags') }}
)

{% if is_incremental() %}
    ,

    recorded as (
        select max(coalesce(valid_to, valid_from)) as latest_date
        from {{ this }}
    ),

    holding as {{ materialized_cte() }} (
        -- versions that held on the day before the as-of date or were opened or closed on it
        select *
        from {{ this }}
        where valid_to is null or valid_to >= {{ as_of_date() }}
    ),

    changes as (
        -- held now and not open: a new version from the as-of date, or one closed on it reopens
        select
            coalesce(holding.tag_version_id, current_versions.tag_version_id) as tag_version_id,
            current_versions.customer_key,
            current_versions.tag_group,
            current_versions.tag,
            coalesce(holding.valid_from, current_versions.valid_from) as valid_from,
            cast(null as date) as valid_to
        from current_versions
        left join holding
            on
                current_versions.customer_key = holding.customer_key
                and current_versions.tag_group = holding.tag_group
                and current_versions.tag = holding.tag
        where holding.tag_version_id is null or holding.valid_to is not null
        union all
        -- open and no longer held: closes on the as-of date (deleted if it opened on it)
        select
            holding.tag_version_id,
            holding.customer_key,
            holding.tag_group,
            holding.tag,
            holding.valid_from,
            {{ as_of_date() }} as valid_to
        from holding
        where
            holding.valid_to is null
            and not exists (
                select 1 from current_versions
                where
                    current_versions.customer_key = holding.customer_key
                    and current_versions.tag_group = holding.tag_group
                    and current_versions.tag = holding.tag
            )
    )

    -- history only moves forward: an as-of date before the latest recorded one changes nothing
    select changes.*
    from changes
    cross join recorded
    where recorded.latest_date is null or recorded.latest_date <= {{ as_of_date() }}
{% else %}
    select * from current_versions
{% endif %}
