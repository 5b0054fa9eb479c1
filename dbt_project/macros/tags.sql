{#- The slot a tag occupies within its group: a customer holds at most one tag per slot at a
    time. Activity is one slot (exclusive); value has two, the RFM segment and the CLV decile;
    each intent and risk tag is its own slot (multi-valued groups). Tag history never overlaps
    within a slot, and a transition is a move between two tags of one slot. -#}
{% macro tag_slot(tag_group, tag) -%}
    case
        when {{ tag_group }} = 'activity' then 'activity'
        when {{ tag_group }} = 'value' and {{ tag }} like 'clv_decile_%' then 'clv_decile'
        when {{ tag_group }} = 'value' then 'rfm_segment'
        else {{ tag }}
    end
{%- endmacro %}
