-- One row per customer per week: the customer's segment. The rows are written by the segment step
-- (`customer-mart segment`, after `dbt build`; src/customer_mart/segment_store.py), one week at a
-- time; dbt owns the table's definition (columns and types through the contract, grants, docs,
-- tests) and never its rows: this select returns none, so a run only creates the table when it is
-- missing, and `full_refresh: false` keeps the history through `dbt build --full-refresh`.
-- One after another (customer_features, its snapshot, then the segment tables in turn): each
-- model's post-hook grants usage on the same schema, and concurrent GRANTs on one schema collide
-- ("tuple concurrently updated" on PostgreSQL, the Redshift stand-in). The tables are empty, so
-- the order costs nothing.
{%- if model.resource_type != 'unit_test' %}
-- depends_on: {{ ref('customer_features_snapshot') }}
{%- endif %}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    full_refresh=false,
    on_schema_change='fail',
    dist='user_id',
    sort=['as_of_date', 'segment_id'],
) }}

with

customers as (

    select * from {{ ref('customer_features') }}

),

final as (

    select
        customers.feature_window_end as as_of_date,
        customers.user_id,
        cast(null as integer) as segment_id,
        cast(null as {{ segment_text(256) }}) as segment_name,
        cast(null as double precision) as distance_to_centroid
    from customers
    where 1 = 0

)

select * from final
