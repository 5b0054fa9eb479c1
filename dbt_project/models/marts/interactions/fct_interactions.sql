{{
    config(
        materialized='incremental',
        unique_key='interaction_id',
        incremental_strategy=var('incremental_strategy', 'merge'),
        on_schema_change='append_new_columns'
    )
}}
-- One row per real interaction from every source (grain: interaction_id). An email message is
-- one outbound touch; its first open, click and reply are responses to it, delivered, bounce,
-- unsubscribe and spam reports are kept with weight 0. Incremental: a run rebuilds the
-- interactions of the last late_arrival_lookback_days + response_window_days (late events, and
-- touches whose response may just have arrived) and those whose customer was merged away or was
-- unresolved.
-- depends_on: {{ ref('int_records_clustered') }}
{%- set response_window_days = var('response_window_days', 7) %}
{%- set lookback_days = var('late_arrival_lookback_days', 3) + response_window_days %}

with activities as (
    select * from {{ ref('int_activities_resolved') }}
),

email_events as (
    select * from {{ ref('int_email_events_resolved') }}
),

orders as (
    select * from {{ ref('int_orders_resolved') }}
),

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
        ) as sent_at
    from email_events
    group by message_id
),

email_reactions as (
    select
        message_id,
        event_type,
        min(occurred_at) as occurred_at
    from email_events
    where event_type <> 'sent'
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
    reprocessed as (
        -- rows whose customer no longer exists (merged into another) or was unresolved
        select existing.interaction_id
        from {{ this }} as existing
        left join (
            select distinct customer_key from {{ ref('int_records_clustered') }}
        ) as current_customers
            on existing.customer_key = current_customers.customer_key
        where current_customers.customer_key is null
    ),

    cutoff as (
        select
            {{ dbt.dateadd('day', -lookback_days, 'max(occurred_at)') }} as rebuild_from
        from {{ this }}
    ),

    candidates as (
        select unioned.*
        from unioned
        cross join cutoff
        where
            unioned.occurred_at >= cutoff.rebuild_from
            or unioned.interaction_id in (select interaction_id from reprocessed)
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
    end as first_response_at
from with_next_response
