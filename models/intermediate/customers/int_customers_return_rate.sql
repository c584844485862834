with

customers as (

    select * from {{ ref('int_customers_in_scope') }}

),

order_items as (

    select * from {{ ref('int_order_items_in_window') }}

),

counted as (

    select
        user_id,
        count(*) as purchased_items,
        sum(case when is_returned then 1 else 0 end) as returned_items
    from order_items
    where is_purchased
    group by user_id

),

final as (

    select
        customers.user_id,
        cast(coalesce(counted.purchased_items, 0) as integer) as purchased_items_last_year,
        cast(coalesce(counted.returned_items, 0) as integer) as returned_items_last_year,
        -- Cast before dividing: integer division truncates on Redshift and PostgreSQL.
        cast(counted.returned_items as double precision)
        / cast(nullif(counted.purchased_items, 0) as double precision) as return_rate_last_year
    from customers
    left join counted
        on customers.user_id = counted.user_id

)

select * from final
