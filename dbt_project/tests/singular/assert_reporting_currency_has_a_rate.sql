-- The reporting currency (var reporting_currency) has a rate in the seed currency_rates, or no
-- order could be converted into it (returns the currency when it has none).
select '{{ var("reporting_currency") }}' as reporting_currency
where not exists (
    select 1
    from {{ ref('currency_rates') }}
    where currency = '{{ var("reporting_currency") }}'
)
