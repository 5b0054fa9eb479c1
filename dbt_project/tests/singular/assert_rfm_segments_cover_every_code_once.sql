-- Every R-F-M code 111..555 appears exactly once in the seed (returns the codes that do not).
with scores as (
    select 1 as score
    union all
    select 2 as score
    union all
    select 3 as score
    union all
    select 4 as score
    union all
    select 5 as score
),

codes as (
    select r.score * 100 + f.score * 10 + m.score as rfm_code
    from scores as r
    cross join scores as f
    cross join scores as m
),

seeded as (
    select
        rfm_code,
        count(*) as occurrences
    from {{ ref('rfm_segments') }}
    group by rfm_code
)

select
    coalesce(codes.rfm_code, seeded.rfm_code) as rfm_code,
    coalesce(seeded.occurrences, 0) as occurrences
from codes
full outer join seeded on codes.rfm_code = seeded.rfm_code
where codes.rfm_code is null or coalesce(seeded.occurrences, 0) <> 1
