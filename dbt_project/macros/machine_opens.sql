{#- An open fired by a mail privacy proxy (Apple Mail Privacy Protection and the like fetch every
    delivered message's images, which the ESP logs as an open), not by a person: an open within
    var `machine_open_max_seconds_after_delivery` seconds after the message's first delivered
    event. People rarely open that fast; a proxy fetch delayed longer (the device was offline)
    passes as a person's open. An open of a message without a delivered event is a person's. -#}
{% macro is_machine_open(opened_at, delivered_at) -%}
    coalesce(
        {{ opened_at }} >= {{ delivered_at }}
        and {{ opened_at }} <= {{ dbt.dateadd(
            'second', var('machine_open_max_seconds_after_delivery'), delivered_at
        ) }},
        false
    )
{%- endmacro %}
