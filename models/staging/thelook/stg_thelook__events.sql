with

source as (

    select * from {{ source('thelook', 'events') }}

),

typed as (

    select
        cast(id as {{ dbt.type_bigint() }}) as event_id,
        cast(user_id as {{ dbt.type_bigint() }}) as user_id,
        cast(sequence_number as integer) as sequence_number,
        {{ clean_text('session_id') }} as session_id,
        {{ clean_text('ip_address') }} as ip_address,
        {{ clean_text('city') }} as city,
        {{ clean_text('state') }} as state,
        {{ clean_text('postal_code') }} as postal_code,
        {{ clean_text('browser') }} as browser,
        {{ clean_text('traffic_source') }} as traffic_source,
        {{ clean_text('uri') }} as uri,
        {{ clean_text('event_type') }} as event_type,
        {{ to_utc_timestamp('created_at') }} as created_at
    from source
    where id is not null

),

deduplicated as (

    {{ keep_one_per_key(
        'typed',
        'event_id',
        event_copy_order() ~ ', session_id, sequence_number'
    ) }}

),

final as (

    select
        event_id,
        user_id,
        session_id,
        sequence_number,
        event_type,
        uri,
        traffic_source,
        browser,
        ip_address,
        city,
        state,
        postal_code,
        created_at
    from deduplicated

)

select * from final
