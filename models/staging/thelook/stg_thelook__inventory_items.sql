with

source as (

    select * from {{ source('thelook', 'inventory_items') }}

),

typed as (

    select
        cast(id as {{ dbt.type_bigint() }}) as inventory_item_id,
        cast(product_id as {{ dbt.type_bigint() }}) as product_id,
        -- A cost that is not a finite amount the mart can hold is unknown (counted by a warning).
        case when {{ amount_in_range('cost') }} then cast(cost as double precision) end as cost,
        {{ clean_text('product_category') }} as product_category,
        {{ clean_text('product_name') }} as product_name,
        {{ clean_text('product_brand') }} as product_brand,
        cast(product_retail_price as double precision) as product_retail_price,
        {{ clean_text('product_department') }} as product_department,
        {{ clean_text('product_sku') }} as product_sku,
        cast(product_distribution_center_id as {{ dbt.type_bigint() }}) as product_distribution_center_id,
        {{ to_utc_timestamp('created_at') }} as created_at,
        {{ to_utc_timestamp('sold_at') }} as sold_at
    from source
    where id is not null

),

deduplicated as (

    {{ keep_one_per_key(
        'typed',
        'inventory_item_id',
        'created_at desc nulls last, sold_at desc nulls last, cost, product_id'
    ) }}

),

final as (

    select
        inventory_item_id,
        product_id,
        cost,
        product_category,
        product_name,
        product_brand,
        product_retail_price,
        product_department,
        product_sku,
        product_distribution_center_id,
        created_at,
        sold_at
    from deduplicated

)

select * from final
