with

source as (

    select * from {{ source('thelook', 'users') }}

),

typed as (

    select
        cast(id as {{ dbt.type_bigint() }}) as user_id,
        {{ clean_text('first_name') }} as first_name,
        {{ clean_text('last_name') }} as last_name,
        {{ clean_text('email') }} as email,
        cast(age as integer) as age,
        {{ clean_text('gender') }} as gender,
        {{ clean_text('street_address') }} as street_address,
        {{ clean_text('postal_code') }} as postal_code,
        {{ clean_text('city') }} as city,
        {{ clean_text('state') }} as state,
        {{ clean_text('country') }} as country,
        {{ valid_coordinate('latitude', 90) }} as latitude,
        {{ valid_coordinate('longitude', 180) }} as longitude,
        {{ clean_text('traffic_source') }} as traffic_source,
        {{ to_utc_timestamp('created_at') }} as created_at
    from source
    where id is not null

),

-- A re-exported user keeps its latest record; the other columns only break exact ties.
deduplicated as (

    {{ keep_one_per_key(
        'typed',
        'user_id',
        'created_at desc nulls last, age, country, state, latitude, longitude, email'
    ) }}

),

final as (

    select
        user_id,
        first_name,
        last_name,
        email,
        age,
        gender,
        street_address,
        postal_code,
        city,
        state,
        country,
        latitude,
        longitude,
        traffic_source,
        created_at
    from deduplicated

)

select * from final
