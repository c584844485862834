-- Known users' events counted per day and traffic source: the grain the traffic-source feature needs.
with

events as (

    select * from {{ ref('stg_thelook__events') }}

),

final as (

    select
        user_id,
        traffic_source,
        cast(created_at as date) as event_date,
        count(*) as event_count
    from events
    where user_id is not null and traffic_source is not null and created_at is not null
    group by 1, 2, 3

)

select * from final
