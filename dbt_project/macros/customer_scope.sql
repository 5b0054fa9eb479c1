{#- Customers whose facts a run may have changed, for an incremental model that keeps per-customer
    state recomputed from a customer's whole history (`this` holds customer_key and
    customer_records). A customer's facts change only through its own rows and its key: they are
    the customers with a row delivered in the run (an activity, email event or order, of any
    date: the interactions it makes or answers are its customer's, and nothing in the facts moves
    with the calendar alone) and those whose key changed (rekeyed_customers). Customers who only
    have recent interactions, which fct_interactions rebuilds unchanged, are not in scope: at
    10M they were most of the journeys state's input. The model that calls it declares
    `-- depends_on:` the int_*_resolved models, the three event staging models and
    int_records_clustered, since dbt parses it as a first build. -#}
{% macro customers_in_run_scope() -%}
    {{ customers_delivered_in_run() }}
    union
    {{ rekeyed_customers() }}
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


{#- Customers with a row delivered in the run; with `happened_before` (a timestamp expression), only
    rows that happened before it. A row delivered later than the facts' rebuild window reaches
    back, as a first valid copy of a row quarantined before, or a late export: its customer is
    recomputed whole, as a re-keyed one is, since the row may answer older touches (an order or
    reply is a response). -#}
{% macro customers_delivered_in_run(happened_before=none) -%}
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
        where
            {{ delivered_in_run('delivered_date') }}
            {%- if happened_before is not none %}
                and {{ happened_at }} < {{ happened_before }}
            {%- endif %}
    )
    {%- endfor %}
{%- endmacro %}
