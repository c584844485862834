-- Return rate by the customers' most frequent traffic source over the feature window.
-- See analyses/_analyses.yml for how the two rates differ.

with

customers as (

    select * from {{ ref('customer_features') }}

),

sourced as (

    select
        purchased_items_last_year,
        returned_items_last_year,
        return_rate_last_year,
        coalesce(most_traffic_source, '(no events)') as most_traffic_source
    from customers

),

per_source as (

    select
        most_traffic_source,
        count(*) as customers,
        sum(case when purchased_items_last_year > 0 then 1 else 0 end) as buying_customers,
        sum(purchased_items_last_year) as purchased_items,
        sum(returned_items_last_year) as returned_items,
        -- NULL rates (nothing purchased) are left out of the average, as they should be.
        avg(return_rate_last_year) as avg_customer_return_rate
    from sourced
    group by most_traffic_source

),

final as (

    select
        most_traffic_source,
        customers,
        buying_customers,
        purchased_items,
        returned_items,
        -- Cast before dividing: integer division truncates on Redshift and PostgreSQL.
        round(
            cast(returned_items as numeric(18, 6)) / nullif(purchased_items, 0),
            4
        ) as item_return_rate,
        round(cast(avg_customer_return_rate as numeric(18, 6)), 4) as avg_customer_return_rate
    from per_source

)

select * from final
order by item_return_rate desc nulls last, most_traffic_source asc
