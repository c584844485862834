-- The latest week of customer_segment_history: one row per customer with its segment.
{{ config(materialized='view') }}

with

history as (

    select * from {{ ref('customer_segment_history') }}

),

latest_week as (

    select max(as_of_date) as as_of_date
    from history

),

final as (

    select
        history.as_of_date,
        history.user_id,
        history.segment_id,
        history.segment_name,
        history.distance_to_centroid
    from history
    inner join latest_week
        on history.as_of_date = latest_week.as_of_date

)

select * from final
