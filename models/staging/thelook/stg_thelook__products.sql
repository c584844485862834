with

source as (

    select * from {{ source('thelook', 'products') }}

),

typed as (

    select
        cast(id as {{ dbt.type_bigint() }}) as product_id,
        {{ clean_text('name') }} as product_name,
        {{ clean_text('brand') }} as brand,
        {{ clean_text('category') }} as category,
        {{ clean_text('department') }} as department,
        {{ clean_text('sku') }} as sku,
        cast(cost as double precision) as cost,
        cast(retail_price as double precision) as retail_price,
        cast(distribution_center_id as {{ dbt.type_bigint() }}) as distribution_center_id
    from source
    where id is not null

),

deduplicated as (

    {{ keep_one_per_key('typed', 'product_id', 'sku, cost, retail_price, product_name') }}

),

final as (

    select
        product_id,
        product_name,
        brand,
        category,
        department,
        sku,
        cost,
        retail_price,
        distribution_center_id
    from deduplicated

)

select * from final
