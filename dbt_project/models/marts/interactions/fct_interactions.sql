{{
    config(
        materialized='incremental',
        unique_key='interaction_id',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        pre_hook=before_begin("{% if is_incremental() %}
            delete from {{ this }}
            where
                interaction_type like 'email%'
                and interaction_type <> 'email_message'
                and source_record_id in (
                    select message_id from {{ ref('stg_email__events') }}
                    where {{ delivered_in_run('delivered_date') }}
                )
        {% endif %}")
    )
}}
-- One row per real interaction from every source (grain: interaction_id); definitions in
-- _interactions__models.yml. Incremental: a run rebuilds the interactions of the last
-- late_arrival_lookback_days + response_window_days (late events, and touches whose response may
-- just have arrived) and every interaction of a customer whose key changed: rows stored under a
-- key that is no longer a customer (merged away, or unresolved until now) move to their new key,
-- and all of that customer's rows are recomputed, since its responses now answer its touches;
-- so are all rows of a customer with a row delivered in the run that happened before the window
-- (customers_delivered_in_run). Its pre-hook deletes the stored reactions of every email message
-- with an event in the run, which the run recomputes: a reaction's key holds its classification,
-- and a late delivery event turns an open into a privacy proxy's (email_open ->
-- email_machine_open), which replacing rows by key would otherwise keep beside the new row. The
-- pre-hook runs before the model's transaction: DuckDB cannot commit a transaction that deleted
-- from a table and then altered it, as on_schema_change does to append a new column. Each row
-- carries the run that wrote it (computed_for_run_day): a daily run's tests check those rows.
-- Its rows are replaced (delete+insert), not merged: a customer's rows are stored together, so
-- the rows a day rewrites sit in every row group, and a merge's updates rewrote them all (2.5 s
-- and a 1.1 s checkpoint at 10M rows) where deleting them and appending the new ones took 1.2 s
-- in all, for the same rows.
-- depends_on: {{ ref('int_records_clustered') }}
-- depends_on: {{ ref('stg_crm__activities') }}
-- depends_on: {{ ref('stg_email__events') }}
-- depends_on: {{ ref('stg_orders__orders') }}
{%- set response_window_days = var('response_window_days') %}
{%- set lookback_days = var('late_arrival_lookback_days') + response_window_days %}

with
{% if is_incremental() %}
    cutoff as {{ materialized_cte() }} (
        select
            {{ dbt.dateadd('day', -lookback_days, 'max(occurred_at)') }} as rebuild_from
        from {{ this }}
    ),

    stale_keys as {{ materialized_cte() }} (
        -- stored keys that are no longer a customer: merged away, or unresolved so far; the few
        -- keys first, so that only their rows are read whole, not every row of the table
        select stored.customer_key
        from (select distinct customer_key from {{ this }}) as stored
        where stored.customer_key not in (
            select customer_key from {{ ref('int_records_clustered') }}
        )
    ),

    stale as {{ materialized_cte() }} (
        select
            interaction_type,
            source_record_id,
            customer_key
        from {{ this }}
        where customer_key in (select stale_keys.customer_key from stale_keys)
    ),

    recomputed_customers as {{ materialized_cte() }} (
        select activities.customer_key
        from {{ ref('int_activities_resolved') }} as activities
        inner join stale
            on
                activities.activity_id = stale.source_record_id
                and stale.interaction_type not like 'email%'
                and stale.interaction_type <> 'order'
        where activities.customer_key <> stale.customer_key
        union
        select email_events.customer_key
        from {{ ref('int_email_events_resolved') }} as email_events
        inner join stale
            on
                email_events.message_id = stale.source_record_id
                and stale.interaction_type = 'email_message'
        where email_events.customer_key <> stale.customer_key
        union
        select orders.customer_key
        from {{ ref('int_orders_resolved') }} as orders
        inner join stale
            on
                orders.order_id = stale.source_record_id
                and stale.interaction_type = 'order'
        where orders.customer_key <> stale.customer_key
        union
        {{ customers_delivered_in_run('(select rebuild_from from cutoff)') }}
    ),

    activities as (
        select *
        from {{ ref('int_activities_resolved') }}
        where
            occurred_at >= (select rebuild_from from cutoff)
            or customer_key in (select customer_key from recomputed_customers)
    ),

    email_events as (
        -- every event of the messages in scope: a message's key, campaign and send time come
        -- from all of its events
        select *
        from {{ ref('int_email_events_resolved') }}
        where message_id in (
            select message_id
            from {{ ref('int_email_events_resolved') }}
            where
                occurred_at >= (select rebuild_from from cutoff)
                or customer_key in (select customer_key from recomputed_customers)
        )
    ),

    orders as (
        select *
        from {{ ref('int_orders_resolved') }}
        where
            ordered_at >= (select rebuild_from from cutoff)
            or customer_key in (select customer_key from recomputed_customers)
    ),
{% else %}
    activities as (
        select * from {{ ref('int_activities_resolved') }}
    ),

    email_events as (
        select * from {{ ref('int_email_events_resolved') }}
    ),

    orders as (
        select * from {{ ref('int_orders_resolved') }}
    ),
{% endif %}

weights as (
    select * from {{ ref('interaction_weights') }}
),

activity_interactions as (
    select
        concat('activity:', activity_id) as interaction_id,
        customer_key,
        occurred_at,
        activity_type as interaction_type,
        direction,
        direction = 'inbound' as is_customer_initiated,
        rep_id,
        duration_seconds,
        cast(null as {{ dbt.type_string() }}) as campaign_id,
        activity_id as source_record_id
    from activities
),

email_messages as (
    select
        message_id,
        min(customer_key) as customer_key,
        min(campaign_id) as campaign_id,
        coalesce(
            min(case when event_type = 'sent' then occurred_at end), min(occurred_at)
        ) as sent_at,
        min(case when event_type = 'delivered' then occurred_at end) as delivered_at
    from email_events
    group by message_id
),

email_events_classified as (
    -- a privacy proxy's open is no response: kept apart as a machine_open
    select
        email_events.message_id,
        email_events.occurred_at,
        case
            when
                email_events.event_type = 'open'
                and {{ is_machine_open('email_events.occurred_at', 'email_messages.delivered_at') }}
                then 'machine_open'
            else email_events.event_type
        end as event_type
    from email_events
    inner join email_messages on email_events.message_id = email_messages.message_id
    where email_events.event_type <> 'sent'
),

email_reactions as (
    select
        message_id,
        event_type,
        min(occurred_at) as occurred_at
    from email_events_classified
    group by message_id, event_type
),

email_interactions as (
    select
        concat('email_message:', message_id) as interaction_id,
        customer_key,
        sent_at as occurred_at,
        'email_message' as interaction_type,
        'outbound' as direction,
        false as is_customer_initiated,
        cast(null as {{ dbt.type_string() }}) as rep_id,
        cast(null as {{ dbt.type_bigint() }}) as duration_seconds,
        campaign_id,
        message_id as source_record_id
    from email_messages
    union all
    select
        concat('email_', email_reactions.event_type, ':', email_reactions.message_id)
            as interaction_id,
        email_messages.customer_key,
        email_reactions.occurred_at,
        concat('email_', email_reactions.event_type) as interaction_type,
        case
            when email_reactions.event_type in ('delivered', 'bounce') then 'outbound'
            else 'inbound'
        end as direction,
        false as is_customer_initiated,
        cast(null as {{ dbt.type_string() }}) as rep_id,
        cast(null as {{ dbt.type_bigint() }}) as duration_seconds,
        email_messages.campaign_id,
        email_reactions.message_id as source_record_id
    from email_reactions
    inner join email_messages on email_reactions.message_id = email_messages.message_id
),

order_interactions as (
    select
        concat('order:', order_id) as interaction_id,
        customer_key,
        ordered_at as occurred_at,
        'order' as interaction_type,
        'inbound' as direction,
        true as is_customer_initiated,
        cast(null as {{ dbt.type_string() }}) as rep_id,
        cast(null as {{ dbt.type_bigint() }}) as duration_seconds,
        cast(null as {{ dbt.type_string() }}) as campaign_id,
        order_id as source_record_id
    from orders
),

unioned as (
    select * from activity_interactions
    union all
    select * from email_interactions
    union all
    select * from order_interactions
),

{% if is_incremental() %}
    candidates as (
        -- scoped sources also bring older rows (a message's earlier events): only rows from the
        -- cutoff on, or of a re-keyed customer, see every response that may follow them
        select *
        from unioned
        where
            occurred_at >= (select rebuild_from from cutoff)
            or customer_key in (select customer_key from recomputed_customers)
    ),
{% else %}
    candidates as (
        select * from unioned
    ),
{% endif %}

classified as (
    select
        candidates.*,
        weights.channel,
        weights.weight,
        weights.is_touch and candidates.direction = 'outbound' as is_touch,
        weights.is_response and candidates.direction = 'inbound' as is_response
    from candidates
    inner join weights on candidates.interaction_type = weights.interaction_type
),

with_next_response as (
    select
        *,
        min(case when is_response then occurred_at end) over (
            partition by customer_key
            order by occurred_at, interaction_id
            rows between 1 following and unbounded following
        ) as next_response_at
    from classified
)

select
    interaction_id,
    customer_key,
    customer_key = {{ unresolved_customer_key() }} as is_unresolved,
    occurred_at,
    {{ utc_to_local_date('occurred_at') }} as occurred_date,
    channel,
    interaction_type,
    direction,
    is_customer_initiated,
    is_touch,
    is_response,
    weight,
    rep_id,
    duration_seconds,
    campaign_id,
    source_record_id,
    case
        when is_touch
            then coalesce(
                next_response_at
                <= {{ dbt.dateadd('day', response_window_days, 'occurred_at') }},
                false
            )
    end as responded,
    case
        when
            is_touch
            and next_response_at
            <= {{ dbt.dateadd('day', response_window_days, 'occurred_at') }}
            then next_response_at
    end as first_response_at,
    {{ run_day_marker() }} as computed_for_run_day
from with_next_response
