-- One row per segment per week: its size, profit-level mix and mean features. Written by the
-- segment step with the week's customer_segment_history; dbt owns the definition only (see
-- customer_segment_history.sql).
-- One after another (customer_features, its snapshot, then the segment tables in turn): each
-- model's post-hook grants usage on the same schema, and concurrent GRANTs on one schema collide
-- ("tuple concurrently updated" on PostgreSQL, the Redshift stand-in). The tables are empty, so
-- the order costs nothing.
{%- if model.resource_type != 'unit_test' %}
-- depends_on: {{ ref('customer_segment_history') }}
{%- endif %}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    full_refresh=false,
    on_schema_change='fail',
    dist='even',
    sort=['as_of_date', 'segment_id'],
) }}

with

customers as (

    select * from {{ ref('customer_features') }}

),

final as (

    select
        customers.feature_window_end as as_of_date,
        cast(null as integer) as segment_id,
        cast(null as {{ segment_text(256) }}) as segment_name,
        cast(null as boolean) as is_buyer_segment,
        cast(null as integer) as customers,
        cast(null as double precision) as share_of_customers,
        cast(null as integer) as customers_profit_level_1,
        cast(null as integer) as customers_profit_level_2,
        cast(null as integer) as customers_profit_level_3,
        cast(null as double precision) as avg_purchase_amount,
        cast(null as double precision) as avg_purchased_items,
        cast(null as double precision) as avg_return_rate,
        cast(null as double precision) as avg_distance_km,
        cast(null as double precision) as avg_age,
        cast(null as boolean) as is_new_segment,
        cast(null as double precision) as centroid_shift
    from customers
    where 1 = 0

)

select * from final
