with

customers as (

    select * from {{ ref('int_customers_in_scope') }}

),

order_items as (

    select * from {{ ref('int_order_items_in_window') }}

),

-- Kept items: bought in the window and not sent back.
kept_items as (

    select
        user_id,
        -- Exact decimals, so the sum carries no float noise into the cents.
        cast(sale_price as numeric(18, 6)) as sale_price,
        cast(sale_price as numeric(18, 6)) - cast(cost as numeric(18, 6)) as gross_profit
    from order_items
    where is_purchased and not is_returned

),

summed as (

    select
        user_id,
        sum(sale_price) as purchase_amount,
        sum(gross_profit) as gross_profit
    from kept_items
    group by user_id

),

amounts as (

    select
        customers.user_id,
        cast(round(coalesce(summed.purchase_amount, 0), 2) as numeric(12, 2)) as purchase_amount_last_year,
        -- The same amount in whole cents, taken from the exact sum: the bands compare this.
        {{ to_cents('coalesce(summed.purchase_amount, 0)') }} as purchase_amount_cents,
        cast(round(summed.gross_profit, 2) as numeric(12, 2)) as gross_profit_last_year
    from customers
    left join summed
        on customers.user_id = summed.user_id

),

final as (

    select
        user_id,
        purchase_amount_last_year,
        -- See the doc block `profit_level`: bands are compared in whole cents.
        case
            when purchase_amount_cents <= {{ to_cents(profit_level_2_above()) }} then 1
            when purchase_amount_cents < {{ to_cents(profit_level_3_from()) }} then 2
            else 3
        end as profit_level,
        gross_profit_last_year
    from amounts

)

select * from final
