-- High-value customers (top profit level) whose nearest distribution center is far away:
-- candidates for a new center or for shipping offers. The distance is a var:
--   dbt compile --select high_value_customers_far_from_center --vars '{far_from_center_km: 2000}'

{% set min_distance_km = far_from_center_km() %}

with

customers as (

    select * from {{ ref('customer_features') }}

),

final as (

    select
        user_id,
        country,
        state,
        nearest_dc_name,
        nearest_dc_distance_km,
        profit_level,
        purchase_amount_last_year,
        gross_profit_last_year,
        purchased_items_last_year,
        most_traffic_source
    from customers
    -- Customers without a valid address have no distance and are not listed.
    where
        profit_level = 3
        and nearest_dc_distance_km >= {{ min_distance_km }}

)

select * from final
order by nearest_dc_distance_km desc, purchase_amount_last_year desc, user_id asc
