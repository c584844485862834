-- The mart holds exactly one row per user of the population (doc `customer_population`),
-- recomputed here from staging rather than taken from the model that builds it.
{% set window = feature_window() %}

with

population as (

    select distinct user_id
    from {{ ref('stg_thelook__users') }}
    where created_at < cast('{{ window.end }}' as timestamp) or created_at is null

),

mart as (

    select
        user_id,
        count(*) as row_count
    from {{ ref('customer_features') }}
    group by user_id

),

compared as (

    select
        coalesce(population.user_id, mart.user_id) as user_id,
        case
            when mart.row_count is null then 'missing from the mart'
            when population.user_id is null then 'not in the population'
            when mart.row_count > 1 then 'repeated'
        end as problem
    from population
    full outer join mart
        on population.user_id = mart.user_id

)

select * from compared
where problem is not null
