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

{#- Every customer against every center, written once and used twice below: computed afresh each
    time (a stream), so that no engine keeps customers x centers rows in memory or sorts them. -#}
{%- set distances %}
    select
        located_customers.user_id,
        located_centers.distribution_center_id,
        {{ haversine_km(
            'located_customers.latitude', 'located_customers.longitude',
            'located_centers.latitude', 'located_centers.longitude'
        ) }} as distance_km
    from located_customers
    cross join located_centers
{%- endset %}

shortest as (

    select
        user_id,
        min(distance_km) as distance_km
    from ({{ distances }}) as distances
    group by user_id

),

-- The centers at the shortest distance (the same expression gives the same value); on a tie the
-- lowest id wins.
nearest as (

    select
        distances.user_id,
        min(distances.distribution_center_id) as distribution_center_id,
        min(distances.distance_km) as distance_km
    from ({{ distances }}) as distances
    inner join shortest
        on
            distances.user_id = shortest.user_id
            and distances.distance_km = shortest.distance_km
    group by distances.user_id

),

final as (

    select
        customers.user_id,
        nearest.distribution_center_id as nearest_dc_id,
        located_centers.distribution_center_name as nearest_dc_name,
        -- Metre precision: plenty for a feature, and the same on every engine.
        cast(round(cast(nearest.distance_km as numeric(18, 9)), 3) as double precision) as nearest_dc_distance_km
    from customers
    left join nearest
        on customers.user_id = nearest.user_id
    left join located_centers
        on nearest.distribution_center_id = located_centers.distribution_center_id

)

select * from final
