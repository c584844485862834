with

source as (

    select * from {{ source('thelook', 'orders') }}

),

typed as (

    select
        cast(order_id as {{ dbt.type_bigint() }}) as order_id,
        cast(user_id as {{ dbt.type_bigint() }}) as user_id,
        {{ normalize_status('status') }} as status,
        {{ clean_text('gender') }} as gender,
        cast(num_of_item as integer) as num_of_item,
        {{ to_utc_timestamp('created_at') }} as created_at,
        {{ to_utc_timestamp('shipped_at') }} as shipped_at,
        {{ to_utc_timestamp('delivered_at') }} as delivered_at,
        {{ to_utc_timestamp('returned_at') }} as returned_at
    from source
    where order_id is not null

),

deduplicated as (

    {{ keep_one_per_key(
        'typed',
        'order_id',
        'created_at desc nulls last, user_id, status, num_of_item'
    ) }}

),

final as (

    select
        order_id,
        user_id,
        status,
        gender,
        num_of_item,
        created_at,
        shipped_at,
        delivered_at,
        returned_at
    from deduplicated

)

select * from final
