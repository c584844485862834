-- Known users' events counted per day and traffic source: the grain the traffic-source feature needs.
-- Incremental: a run recounts whole days, from a day that a fingerprint of the raw events decides
-- (macro events_recount_plan), or every day when past raw data changed. The rules, and why the
-- model reads the raw events itself rather than stg_thelook__events, are in its description.
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='event_date',
    on_schema_change='fail',
    dist='user_id',
    sort='event_date',
    post_hook=[
        "delete from {{ this }} where event_count = 0",
        "drop table if exists {{ events_fingerprint_relation() }}",
        "create table {{ events_fingerprint_relation() }} as {{ events_fingerprint_sql() }}",
    ],
) }}

{%- set recount_from = none -%}
{%- if is_incremental() and execute -%}
    {#- Days after today come only from wrongly dated events (see warn_events_created_in_the_future):
        they must not set the mark, or no real day after the last run would ever be counted. -#}
    {%- set today = run_started_at.strftime('%Y-%m-%d') -%}
    {%- set last_day = run_query(
        'select max(event_date) from ' ~ this ~ " where event_date <= cast('" ~ today ~ "' as date)"
    ).columns[0].values()[0] -%}
    {%- set lookback_from = none -%}
    {%- if last_day is not none -%}
        {%- set lookback = events_lookback_days() -%}
        {%- set lookback_from = (modules.datetime.date.fromisoformat((last_day | string)[:10])
            - modules.datetime.timedelta(days=lookback)).isoformat() -%}
    {%- endif -%}
    {%- set plan = events_recount_plan(lookback_from) -%}
    {%- if not plan.full -%}
        {%- set recount_from = plan.recount_from -%}
    {%- endif -%}
{%- endif %}

with

events as (

    {% if recount_from %}
        -- Below the deduplication, so that the engine filters while it scans: a copy of an event
        -- from these days always outranks its older copies, so nothing before them is needed.
        {% set condition = to_utc_timestamp('created_at') ~ " >= cast('" ~ recount_from ~ "' as timestamp)" %}
        {% if target.type == 'duckdb' and raw_table_files('events').format == 'parquet' %}
            -- The same bound on the raw column, which DuckDB compares with each Parquet row group's
            -- statistics to skip it whole, and checks far faster than the conversion above.
            {% set condition = condition ~ " and created_at >= cast('" ~ recount_from ~ " 00:00:00+00' as timestamptz)" %}
        {% endif %}
        {{ raw_events_for_counting(condition) }}
    {% else %}
        {{ raw_events_for_counting() }}
    {% endif %}

),

-- The latest copy of each event; copies tied on these three columns count the same.
deduplicated as (

    {{ keep_one_per_key('events', 'event_id', event_copy_order()) }}

),

counted as (

    select
        user_id,
        traffic_source,
        cast(created_at as date) as event_date,
        count(*) as event_count
    from deduplicated
    where user_id is not null and traffic_source is not null and created_at is not null
    group by 1, 2, 3

),

{% if is_incremental() %}
    -- A day counted before, in the recounted range, that has no counted event any more: one row
    -- of zero makes delete+insert clear the day, and the post-hook deletes the zero rows.
    emptied_days as (

        select
            min(user_id) as user_id,
            min(traffic_source) as traffic_source,
            event_date,
            cast(0 as {{ dbt.type_bigint() }}) as event_count
        from {{ this }}
        where
            event_date not in (select counted.event_date from counted)
            {% if recount_from %}
                and event_date >= cast('{{ recount_from }}' as date)
            {% endif %}
        group by event_date

    ),
{% endif %}

final as (

    select * from counted
    {% if is_incremental() %}
        union all
        select * from emptied_days
    {% endif %}

)

select * from final
