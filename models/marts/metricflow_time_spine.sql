-- The days MetricFlow joins time-based metrics to (dbt's semantic layer needs one time spine;
-- _marts__metrics.yml). Every day from 2000 to 2040: 14,976 rows.
-- Built last, after the segment tables: its post-hook grants usage on the marts' schema like
-- theirs, and concurrent GRANTs on one schema collide (see customer_segment_history.sql).
{%- if model.resource_type != 'unit_test' %}
-- depends_on: {{ ref('customer_segments') }}
{%- endif %}
{{ config(materialized='table') }}

with

days as (

    {{ dbt.date_spine('day', "cast('2000-01-01' as date)", "cast('2041-01-01' as date)") }}

),

final as (

    select cast(date_day as date) as date_day
    from days

)

select * from final
