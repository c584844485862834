-- The volume guard on the raw tables runs first: an empty or shrunken table stops the build
-- before this table is replaced (test raw_tables_not_empty_or_shrunk).
{%- if model.resource_type != 'unit_test' %}
-- depends_on: {{ ref('monitoring_raw_table_volumes') }}
{%- endif %}
{{ config(
    dist='user_id',
    sort=['profit_level', 'nearest_dc_id'],
) }}

with

customers as (

    select * from {{ ref('int_customers_in_scope') }}

),

nearest_dc as (

    select * from {{ ref('int_customers_nearest_dc') }}

),

return_rate as (

    select * from {{ ref('int_customers_return_rate') }}

),

profit_level as (

    select * from {{ ref('int_customers_profit_level') }}

),

traffic_source as (

    select * from {{ ref('int_customers_traffic_source') }}

),

{% set window = feature_window() %}

final as (

    select
        customers.user_id,
        customers.age,
        customers.country,
        customers.state,
        nearest_dc.nearest_dc_id,
        nearest_dc.nearest_dc_name,
        nearest_dc.nearest_dc_distance_km,
        return_rate.purchased_items_last_year,
        return_rate.returned_items_last_year,
        return_rate.return_rate_last_year,
        profit_level.purchase_amount_last_year,
        profit_level.profit_level,
        profit_level.gross_profit_last_year,
        traffic_source.most_traffic_source,
        cast('{{ window.start }}' as date) as feature_window_start,
        cast('{{ window.end }}' as date) as feature_window_end
    from customers
    left join nearest_dc
        on customers.user_id = nearest_dc.user_id
    left join return_rate
        on customers.user_id = return_rate.user_id
    left join profit_level
        on customers.user_id = profit_level.user_id
    left join traffic_source
        on customers.user_id = traffic_source.user_id

)

select * from final
