-- The order items of the feature window, flagged for the purchase rules.
with

order_items as (

    select * from {{ ref('stg_thelook__order_items') }}

),

inventory_items as (

    select * from {{ ref('stg_thelook__inventory_items') }}

),

in_window as (

    select
        order_item_id,
        user_id,
        inventory_item_id,
        status,
        sale_price,
        created_at
    from order_items
    where user_id is not null and {{ in_feature_window('created_at') }}

),

final as (

    select
        in_window.order_item_id,
        in_window.user_id,
        in_window.status,
        in_window.created_at,
        in_window.sale_price,
        inventory_items.cost,
        -- An item of unknown status was still ordered: only a cancellation undoes a purchase.
        coalesce(in_window.status, '') <> 'Cancelled' as is_purchased,
        coalesce(in_window.status = 'Returned', false) as is_returned
    from in_window
    left join inventory_items
        on in_window.inventory_item_id = inventory_items.inventory_item_id

)

select * from final
