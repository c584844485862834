with

source as (

    select * from {{ source('thelook', 'order_items') }}

),

typed as (

    select
        cast(id as {{ dbt.type_bigint() }}) as order_item_id,
        cast(order_id as {{ dbt.type_bigint() }}) as order_id,
        cast(user_id as {{ dbt.type_bigint() }}) as user_id,
        cast(product_id as {{ dbt.type_bigint() }}) as product_id,
        cast(inventory_item_id as {{ dbt.type_bigint() }}) as inventory_item_id,
        {{ normalize_status('status') }} as status,
        -- A negative price, and one that is not a finite amount the mart can hold (NaN, infinite,
        -- 10 billion or more), is an input error: treated as unknown, counted by a warning.
        case
            when cast(sale_price as double precision) >= 0 and {{ amount_in_range('sale_price') }}
                then cast(sale_price as double precision)
        end as sale_price,
        {{ to_utc_timestamp('created_at') }} as created_at,
        {{ to_utc_timestamp('shipped_at') }} as shipped_at,
        {{ to_utc_timestamp('delivered_at') }} as delivered_at,
        {{ to_utc_timestamp('returned_at') }} as returned_at
    from source
    where id is not null

),

deduplicated as (

    {{ keep_one_per_key(
        'typed',
        'order_item_id',
        'created_at desc nulls last, user_id, status, sale_price, inventory_item_id'
    ) }}

),

final as (

    select
        order_item_id,
        order_id,
        user_id,
        product_id,
        inventory_item_id,
        status,
        sale_price,
        created_at,
        shipped_at,
        delivered_at,
        returned_at
    from deduplicated

)

select * from final
