-- One row per week the segment step ran: k, whether and why it was chosen again, and the model
-- state (scaling, centroids, ids and names) the next week starts from. Written by the segment
-- step; dbt owns the definition only (see customer_segment_history.sql).
-- One after another (customer_features, its snapshot, then the segment tables in turn): each
-- model's post-hook grants usage on the same schema, and concurrent GRANTs on one schema collide
-- ("tuple concurrently updated" on PostgreSQL, the Redshift stand-in). The tables are empty, so
-- the order costs nothing.
{%- if model.resource_type != 'unit_test' %}
-- depends_on: {{ ref('customer_segment_profiles') }}
{%- endif %}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    full_refresh=false,
    on_schema_change='fail',
    dist='even',
    sort=['as_of_date'],
) }}

with

customers as (

    select * from {{ ref('customer_features') }}

),

final as (

    select
        customers.feature_window_end as as_of_date,
        cast(null as integer) as customers,
        cast(null as integer) as buyers,
        cast(null as integer) as k,
        cast(null as date) as k_chosen_on,
        cast(null as boolean) as k_rechosen,
        cast(null as {{ segment_text(1024) }}) as k_reason,
        cast(null as {{ segment_text(65535) }}) as model_state,
        cast(null as double precision) as silhouette
    from customers
    where 1 = 0

)

select * from final
