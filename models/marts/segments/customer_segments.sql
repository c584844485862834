-- The latest week of customer_segment_history: one row per customer with its segment.
-- One after another (customer_features, its snapshot, then the segment tables in turn): each
-- model's post-hook grants usage on the same schema, and concurrent GRANTs on one schema collide
-- ("tuple concurrently updated" on PostgreSQL, the Redshift stand-in). The tables are empty, so
-- the order costs nothing.
{%- if model.resource_type != 'unit_test' %}
-- depends_on: {{ ref('customer_segment_runs') }}
{%- endif %}
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
