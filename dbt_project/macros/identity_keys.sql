{#- Keys of the identity graph's records. Every model that resolves a source row to a customer
    builds the record key with these, so that the join to int_records_clustered always matches. -#}

{% macro crm_record_key(customer_id) -%}
    concat('crm:', {{ customer_id }})
{%- endmacro %}

{% macro email_record_key(email_address) -%}
    concat('email:', {{ email_address }})
{%- endmacro %}

{#- An order buyer is the pair of usable identifiers on the order, not the order itself: all
    orders with the same pair are one node, which keeps the graph small. -#}
{% macro buyer_record_key(email_address, phone_e164) -%}
    concat('buyer:', coalesce({{ email_address }}, ''), '|', coalesce({{ phone_e164 }}, ''))
{%- endmacro %}

{#- The bucket for rows that cannot be resolved to a person (an order with neither a usable email
    nor phone, an activity for an unknown CRM record): counted in dim_customer, never dropped. -#}
{% macro unresolved_customer_key() -%}
    'unresolved'
{%- endmacro %}
