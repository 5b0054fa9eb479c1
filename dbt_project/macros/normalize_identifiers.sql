{#- Identifier normalisation for identity stitching. Each macro returns null for a value that
    cannot be a valid identifier, rather than guessing. -#}

{#- Phone to E.164. Full-width digits and separators are removed; numbers without a country code
    are read in the default region (var `phone_default_country_code`, CN: 86). CN numbers must be
    a mobile (1[3-9] + 9 digits), a landline (0 + area code + 7-8 digits) or a 400/800 service
    number; other country codes are accepted when 8-15 digits long (E.164's limits). -#}
{% macro normalize_phone(column) -%}
    {%- set country = var('phone_default_country_code') | string -%}
    {%- set ascii = "translate(" ~ column ~ ", '０１２３４５６７８９＋', '0123456789+')" -%}
    {%- set digits = regexp_replace_all(ascii, "'[^0-9]'", "''") -%}
    {%- set has_plus = regexp_like("trim(" ~ ascii ~ ")", "'^[+]'") -%}
    {%- set national -%}
        case
            when {{ has_plus }} and {{ digits }} like '{{ country }}%'
                then substr({{ digits }}, {{ country | length + 1 }})
            when {{ has_plus }} then null
            when {{ digits }} like '00{{ country }}%' then substr({{ digits }}, {{ country | length + 3 }})
            when {{ regexp_like(digits, "'^" ~ country ~ "1[3-9][0-9]{9}$'") }}
                then substr({{ digits }}, {{ country | length + 1 }})
            else {{ digits }}
        end
    {%- endset -%}
    case
        when {{ has_plus }} and {{ digits }} not like '{{ country }}%'
            and length({{ digits }}) between 8 and 15
            then concat('+', {{ digits }})
        when {{ regexp_like(national, "'^1[3-9][0-9]{9}$'") }}
            then concat('+{{ country }}', {{ national }})
        when {{ regexp_like(national, "'^0[1-9][0-9]{8,10}$'") }}
            then concat('+{{ country }}', substr({{ national }}, 2))
        when {{ regexp_like(national, "'^[48]00[0-9]{7}$'") }}
            then concat('+{{ country }}', {{ national }})
    end
{%- endmacro %}


{#- Email: the address inside a display-name form (`张三 <ZS@Example.com>`), trimmed and
    lower-cased; null unless it has the shape local@domain.tld. -#}
{% macro normalize_email(column) -%}
    {%- set address = "lower(trim(coalesce(" ~ regexp_extract_group(column, "'<([^>]*)>'", 1)
        ~ ", " ~ column ~ ")))" -%}
    case
        when {{ regexp_like(address, "'^[^@[:space:]]+@[^@[:space:]]+[.][^@[:space:]]+$'") }}
            then {{ address }}
    end
{%- endmacro %}


{#- Unified social credit code (统一社会信用代码): 18 characters from the GB 32100 alphabet, upper
    case, spaces and hyphens removed; null when the shape is wrong. -#}
{% macro normalize_credit_code(column) -%}
    {%- set code = "upper(" ~ regexp_replace_all(column, "'[[:space:]-]'", "''") ~ ")" -%}
    case
        when {{ regexp_like(code, "'^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$'") }}
            then {{ code }}
    end
{%- endmacro %}


{#- WeChat id: trimmed, lower-cased (ids are matched case-insensitively); empty as null. -#}
{% macro normalize_wechat_id(column) -%}
    nullif(lower(trim({{ column }})), '')
{%- endmacro %}
