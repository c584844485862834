-- The days MetricFlow joins time-based metrics to (dbt's semantic layer needs one time spine;
-- _marts__metrics.yml). Every day from 2000 to 2040: 14,976 rows.
-- Built last, after the segment tables, like them one after another (see customer_segment_history.sql).
{%- if model.resource_type != 'unit_test' %}
-- depends_on: {{ ref('customer_segments') }}
{%- endif %}
{#- DuckDB only, where `mf query` runs (docs/analysts.md, "Metrics"): the metrics need no time
    spine for their queries, and dbt.dateadd, which Redshift takes as DATEADD(day, n, date), has no
    PostgreSQL stand-in in the Redshift rehearsal. -#}
{{ config(materialized='table', enabled=(target.type == 'duckdb')) }}

{#- Built from digits rather than dbt.date_spine, which asks the warehouse for the number of days
    when it compiles (the offline Redshift compile has no warehouse). -#}
{%- set first_day = "cast('2000-01-01' as date)" %}
{%- set days = 14976 %}

with

digits as (

    select 0 as digit
    union all
    select 1
    union all
    select 2
    union all
    select 3
    union all
    select 4
    union all
    select 5
    union all
    select 6
    union all
    select 7
    union all
    select 8
    union all
    select 9

),

day_numbers as (

    select
        ones.digit
        + 10 * tens.digit
        + 100 * hundreds.digit
        + 1000 * thousands.digit
        + 10000 * ten_thousands.digit as day_number
    from digits as ones
    cross join digits as tens
    cross join digits as hundreds
    cross join digits as thousands
    cross join digits as ten_thousands

),

final as (

    select cast({{ dbt.dateadd('day', 'day_number', first_day) }} as date) as date_day
    from day_numbers
    where day_number < {{ days }}

)

select * from final
