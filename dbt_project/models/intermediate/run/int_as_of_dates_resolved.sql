-- A view: resolved whenever it is read, so it always gives the as-of date of the run reading it.
{{ config(materialized='view') }}

select {{ as_of_date() }} as as_of_date
