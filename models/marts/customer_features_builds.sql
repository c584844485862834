-- One row per build that wrote customer_features: when, for which as_of_date, how many customers
-- at which profit levels, and how its checks went. Analysts read it to know whether this week is
-- in; the docs site's status comes from it too (macro build_status).
-- Last of the granted relations, one after another (customer_features, its snapshot, the segment
-- tables, the time spine, then this view): each one's post-hook grants usage on the same schema, and
-- concurrent GRANTs on one schema collide ("tuple concurrently updated" on PostgreSQL, the Redshift
-- stand-in; see customer_segment_history.sql).
{%- if model.resource_type != 'unit_test' %}
-- depends_on: {{ ref('metricflow_time_spine') }}
{%- endif %}
{{ config(materialized='view') }}

with

mart_volumes as (

    select * from {{ ref('monitoring_mart_volumes') }}

),

build_results as (

    select * from {{ ref('monitoring_build_results') }}

),

final as (

    select
        mart_volumes.invocation_id,
        mart_volumes.run_started_at as build_started_at,
        build_results.run_finished_at as build_finished_at,
        mart_volumes.as_of_date,
        mart_volumes.rows_written as customers,
        mart_volumes.profit_level_1_share,
        mart_volumes.profit_level_2_share,
        mart_volumes.profit_level_3_share,
        build_results.checks_passed,
        build_results.checks_warned,
        build_results.checks_failed,
        build_results.checks_skipped,
        build_results.nodes_failed,
        build_results.nodes_skipped
    from mart_volumes
    left join build_results
        on mart_volumes.invocation_id = build_results.invocation_id

)

select * from final
