{#- Customers whose facts a run may have changed, for an incremental model that keeps per-customer
    state recomputed from a customer's whole history (`this` holds customer_key, customer_records
    and `day_column`, the latest day of the facts it was computed from). They are the customers
    with an interaction from that day minus the facts' rebuild window on (fct_interactions
    rebuilds late_arrival_lookback_days + response_window_days back from its newest row, which is
    no older than this state's newest day; one day more for the UTC-to-local shift), the buyers of
    the orders the run delivered (paid, refunded or cancelled, of any date), the customers
    whose key changed (rekeyed_customers), and those with a row delivered in the run from before
    that window (customers_delivered_before; a day later, so that no timezone drops one). The
    model that calls it declares `-- depends_on:` fct_interactions, the int_*_resolved models,
    the three event staging models and int_records_clustered, since dbt parses it as a first
    build. -#}
{% macro customers_in_run_scope(day_column) -%}
    {%- set rebuild_days = var('late_arrival_lookback_days') + var('response_window_days') + 1 %}
    select facts.customer_key
    from {{ ref('fct_interactions') }} as facts
    where facts.occurred_date >= (
        select cast({{ dbt.dateadd('day', -rebuild_days, 'max(' ~ day_column ~ ')') }} as date)
        from {{ this }}
    )
    union
    select orders.customer_key
    from {{ ref('int_orders_resolved') }} as orders
    where orders.order_id in (
        select order_id from {{ ref('stg_orders__orders') }}
        where {{ delivered_in_run('delivered_date') }}
    )
    union
    {{ rekeyed_customers() }}
    union
    {{ customers_delivered_before(dbt.dateadd('day', -rebuild_days + 1,
        'cast((select max(' ~ day_column ~ ') from ' ~ this ~ ') as timestamp)')) }}
{%- endmacro %}


{#- Customers whose key changed since `this` was computed (it stores customer_key and
    customer_records): a number of identity records other than the stored one (a merge, or a new
    record that brings rows unresolved until now), or none stored. -#}
{% macro rekeyed_customers() -%}
    select customers.customer_key
    from ({{ customer_record_counts() }}) as customers
    left join (
        select
            customer_key,
            max(customer_records) as customer_records
        from {{ this }}
        group by customer_key
    ) as stored
        on customers.customer_key = stored.customer_key
    where
        stored.customer_key is null
        or stored.customer_records <> customers.customer_records
{%- endmacro %}


{#- Each customer's number of identity records, stored with per-customer state so that a later
    run sees its key change (rekeyed_customers). -#}
{% macro customer_record_counts() -%}
    select
        customer_key,
        count(*) as customer_records
    from {{ ref('int_records_clustered') }}
    group by customer_key
{%- endmacro %}


{#- Customers with a row delivered in the run that happened before `before` (a timestamp
    expression): a row delivered later than the facts' rebuild window reaches back, as a first
    valid copy of a row quarantined before, or a late export. Its customer is recomputed whole, as
    a re-keyed one is: the row may answer older touches (an order or reply is a response). -#}
{% macro customers_delivered_before(before) -%}
    {%- set sources = [
        ('int_activities_resolved', 'stg_crm__activities', 'activity_id', 'occurred_at'),
        ('int_email_events_resolved', 'stg_email__events', 'event_id', 'occurred_at'),
        ('int_orders_resolved', 'stg_orders__orders', 'order_id', 'ordered_at'),
    ] -%}
    {%- for resolved, staged, key, happened_at in sources %}
        {%- if not loop.first %}
    union
        {%- endif %}
    select resolved.customer_key
    from {{ ref(resolved) }} as resolved
    where resolved.{{ key }} in (
        select {{ key }} from {{ ref(staged) }}
        where {{ delivered_in_run('delivered_date') }} and {{ happened_at }} < {{ before }}
    )
    {%- endfor %}
{%- endmacro %}
