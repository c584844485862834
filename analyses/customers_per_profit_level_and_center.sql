-- Customers per profit level and nearest distribution center, with their share of all customers,
-- what they spent and the gross profit. See analyses/_analyses.yml (and the metrics it names).

with

customers as (

    select * from {{ ref('customer_features') }}

),

profit_levels as (

    select * from {{ ref('profit_levels') }}

),

located as (

    select
        profit_level,
        purchase_amount_last_year,
        gross_profit_last_year,
        nearest_dc_distance_km,
        coalesce(nearest_dc_name, '(no valid address)') as nearest_dc_name
    from customers

),

per_level_and_center as (

    select
        profit_level,
        nearest_dc_name,
        count(*) as customers,
        sum(purchase_amount_last_year) as purchase_amount_last_year,
        sum(gross_profit_last_year) as gross_profit_last_year,
        avg(nearest_dc_distance_km) as avg_distance_km
    from located
    group by profit_level, nearest_dc_name

),

final as (

    select
        per_level_and_center.profit_level,
        profit_levels.label as profit_level_label,
        per_level_and_center.nearest_dc_name,
        per_level_and_center.customers,
        per_level_and_center.purchase_amount_last_year,
        per_level_and_center.gross_profit_last_year,
        round(
            cast(100.0 * per_level_and_center.customers as numeric(18, 6))
            / sum(per_level_and_center.customers) over (),
            2
        ) as share_of_customers_pct,
        round(cast(per_level_and_center.avg_distance_km as numeric(18, 3)), 1) as avg_distance_km
    from per_level_and_center
    left join profit_levels
        on per_level_and_center.profit_level = profit_levels.profit_level

)

select * from final
order by profit_level desc, customers desc, nearest_dc_name asc
