with

customers as (

    select * from {{ ref('int_customers_in_scope') }}

),

daily_events as (

    select * from {{ ref('int_events_daily_by_source') }}

),

-- The window's edges fall on midnights, so whole days select exactly its events.
per_source as (

    select
        user_id,
        traffic_source,
        sum(event_count) as event_count
    from daily_events
    where {{ in_feature_window('event_date') }}
    group by user_id, traffic_source

),

ranked as (

    select
        user_id,
        traffic_source,
        row_number() over (
            partition by user_id
            order by event_count desc, traffic_source asc
        ) as source_rank
    from per_source

),

final as (

    select
        customers.user_id,
        ranked.traffic_source as most_traffic_source
    from customers
    left join ranked
        on customers.user_id = ranked.user_id and ranked.source_rank = 1

)

select * from final
