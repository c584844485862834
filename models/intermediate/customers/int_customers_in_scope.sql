-- The population of the mart: see the doc block `customer_population`.
with

users as (

    select * from {{ ref('stg_thelook__users') }}

),

{% set window = feature_window() %}

final as (

    select
        user_id,
        age,
        country,
        state,
        latitude,
        longitude,
        created_at
    from users
    where created_at < cast('{{ window.end }}' as timestamp) or created_at is null

)

select * from final
