-- A table, not a view like the other staging models: the nearest-center model and the two checks
-- of its ids read it, and a view would read the raw file (a Spectrum scan on Redshift) each time.
{{ config(materialized='table') }}

with

source as (

    select * from {{ source('thelook', 'distribution_centers') }}

),

typed as (

    select
        cast(id as {{ dbt.type_bigint() }}) as distribution_center_id,
        {{ clean_text('name') }} as distribution_center_name,
        {{ valid_coordinate('latitude', 90) }} as latitude,
        {{ valid_coordinate('longitude', 180) }} as longitude
    from source
    where id is not null

),

deduplicated as (

    {{ keep_one_per_key('typed', 'distribution_center_id', 'distribution_center_name, latitude, longitude') }}

),

final as (

    select
        distribution_center_id,
        distribution_center_name,
        latitude,
        longitude
    from deduplicated

)

select * from final
