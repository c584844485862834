with

customers as (

    select * from {{ ref('int_customers_in_scope') }}

),

distribution_centers as (

    select * from {{ ref('stg_thelook__distribution_centers') }}

),

located_customers as (

    select
        user_id,
        latitude,
        longitude
    from customers
    where latitude is not null and longitude is not null

),

located_centers as (

    select
        distribution_center_id,
        distribution_center_name,
        latitude,
        longitude
    from distribution_centers
    where latitude is not null and longitude is not null

),

distances as (

    select
        located_customers.user_id,
        located_centers.distribution_center_id,
        located_centers.distribution_center_name,
        {{ haversine_km(
            'located_customers.latitude', 'located_customers.longitude',
            'located_centers.latitude', 'located_centers.longitude'
        ) }} as distance_km
    from located_customers
    cross join located_centers

),

ranked as (

    select
        user_id,
        distribution_center_id,
        distribution_center_name,
        distance_km,
        row_number() over (
            partition by user_id
            order by distance_km asc, distribution_center_id asc
        ) as distance_rank
    from distances

),

final as (

    select
        customers.user_id,
        ranked.distribution_center_id as nearest_dc_id,
        ranked.distribution_center_name as nearest_dc_name,
        -- Metre precision: plenty for a feature, and the same on every engine.
        cast(round(cast(ranked.distance_km as numeric(18, 9)), 3) as double precision) as nearest_dc_distance_km
    from customers
    left join ranked
        on customers.user_id = ranked.user_id and ranked.distance_rank = 1

)

select * from final
