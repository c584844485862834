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
        summed.gross_profit,
        -- The exact sum (no purchase: 0), rounded to the cent and to whole cents below.
        coalesce(summed.purchase_amount, 0) as purchase_amount
    from customers
    left join summed
        on customers.user_id = summed.user_id

),

rounded as (

    select
        user_id,
        round(purchase_amount, 2) as purchase_amount,
        -- The same amount in whole cents, taken from the exact sum: the bands compare this
        -- (only for an amount the mart can hold: a larger one could overflow a bigint).
        case when abs(purchase_amount) < 1e10 then {{ to_cents('purchase_amount') }} end as purchase_amount_cents,
        round(gross_profit, 2) as gross_profit
    from amounts

),

checked as (

    select
        rounded.*,
        -- The mart holds amounts as numeric(12,2): a sum of 10 billion or more in size cannot be
        -- written, and stops the build (test amounts_fit_the_mart) instead of a bare cast error.
        (
            abs(rounded.purchase_amount) >= 1e10 or coalesce(abs(rounded.gross_profit) >= 1e10, false)
        ) as has_amount_beyond_the_mart
    from rounded

),

final as (

    select
        user_id,
        -- The cast outside the case, so that the column keeps its type numeric(12,2) on PostgreSQL.
        cast(case when not has_amount_beyond_the_mart then purchase_amount end as numeric(12, 2))
            as purchase_amount_last_year,
        -- See the doc block `profit_level`: bands are compared in whole cents.
        case
            when has_amount_beyond_the_mart then null
            when purchase_amount_cents <= {{ to_cents(profit_level_2_above()) }} then 1
            when purchase_amount_cents < {{ to_cents(profit_level_3_from()) }} then 2
            else 3
        end as profit_level,
        cast(case when not has_amount_beyond_the_mart then gross_profit end as numeric(12, 2))
            as gross_profit_last_year,
        has_amount_beyond_the_mart
    from checked

)

select * from final
