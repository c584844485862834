-- Known users' events counted per day and traffic source: the grain the traffic-source feature needs.
-- A plain aggregation of stg_thelook__events, which holds each event once (its latest copy) and
-- follows the raw files incrementally.
{{ config(
    dist='user_id',
    sort='event_date',
) }}

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
    group by user_id, traffic_source, cast(created_at as date)

)

select * from final
