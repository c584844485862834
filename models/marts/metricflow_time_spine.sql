-- The days MetricFlow joins time-based metrics to (dbt's semantic layer needs one time spine;
-- _marts__metrics.yml). Every day from 2000-01-01 to 2040-12-31: 14,976 rows.
-- Built after the segment tables, like them one after another (see customer_segment_history.sql);
-- customer_features_builds comes after it.
{%- if model.resource_type != 'unit_test' %}
-- depends_on: {{ ref('customer_segments') }}
{%- endif %}
{{ config(materialized='table') }}

{#- A calendar of years, months and days cast from text, rather than dbt.date_spine (it asks the
    warehouse for the number of days when it compiles, and the offline Redshift compile has none)
    or date arithmetic (DATEADD(day, n, date) on Redshift, which PostgreSQL, the rehearsal's
    stand-in, does not take). Every year from 2000 to 2040 divisible by 4 is a leap year. -#}
{%- set first_year, last_year = 2000, 2040 %}

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

numbers as (

    select ones.digit + 10 * tens.digit as number
    from digits as ones
    cross join digits as tens

),

years as (

    select {{ first_year }} + number as calendar_year
    from numbers
    where number <= {{ last_year - first_year }}

),

months as (

    select number as calendar_month
    from numbers
    where number between 1 and 12

),

days_in_months as (

    select
        years.calendar_year,
        months.calendar_month,
        case
            when months.calendar_month = 2 and years.calendar_year % 4 = 0 then 29
            when months.calendar_month = 2 then 28
            when months.calendar_month in (4, 6, 9, 11) then 30
            else 31
        end as days_in_month
    from years
    cross join months

),

calendar as (

    select
        days_in_months.calendar_year,
        days_in_months.calendar_month,
        numbers.number as calendar_day
    from days_in_months
    inner join numbers
        on numbers.number between 1 and days_in_months.days_in_month

),

final as (

    select
        cast(
            cast(calendar_year as varchar(4))
            || '-' || lpad(cast(calendar_month as varchar(2)), 2, '0')
            || '-' || lpad(cast(calendar_day as varchar(2)), 2, '0')
            as date
        ) as date_day
    from calendar

)

select * from final
