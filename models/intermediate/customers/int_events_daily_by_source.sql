-- Known users' events counted per day and traffic source: the grain the traffic-source feature needs.
-- Incremental: a run recomputes whole days from the last built day minus `events_lookback_days`
-- on, from the events of those days only. Why it reads the raw events itself rather than
-- stg_thelook__events is in the model's description.
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='event_date',
    on_schema_change='fail',
    dist='user_id',
    sort='event_date',
) }}

{%- set recompute_from = none -%}
{%- if is_incremental() and execute -%}
    {#- Days after today come only from wrongly dated events (see warn_events_created_in_the_future):
        they must not set the mark, or no real day after the last run would ever be counted. -#}
    {%- set today = run_started_at.strftime('%Y-%m-%d') -%}
    {%- set last_day = run_query(
        'select max(event_date) from ' ~ this ~ " where event_date <= cast('" ~ today ~ "' as date)"
    ).columns[0].values()[0] -%}
    {%- if last_day is not none -%}
        {%- set lookback = var('events_lookback_days', 3) | int -%}
        {%- set recompute_from = (modules.datetime.date.fromisoformat((last_day | string)[:10])
            - modules.datetime.timedelta(days=lookback)).isoformat() -%}
    {%- endif -%}
{%- endif %}
{%- set raw_format = var('raw_file_format', env_var('RAW_FILE_FORMAT', 'parquet')) | trim | lower %}

with

events as (

    -- stg_thelook__events' rules for the columns counted here.
    select
        cast(id as {{ dbt.type_bigint() }}) as event_id,
        cast(user_id as {{ dbt.type_bigint() }}) as user_id,
        {{ clean_text('traffic_source') }} as traffic_source,
        {{ to_utc_timestamp('created_at') }} as created_at
    from {{ source('thelook', 'events') }}
    where
        id is not null
    {% if recompute_from %}
        -- Below the deduplication, so that the engine filters while it scans: a copy of an event
        -- from these days always outranks its older copies, so nothing before them is needed.
        and {{ to_utc_timestamp('created_at') }} >= cast('{{ recompute_from }}' as timestamp)
    {% endif %}
    {% if recompute_from and target.type == 'duckdb' and raw_format == 'parquet' %}
        -- The same bound on the raw column, which DuckDB compares with each Parquet row group's
        -- statistics to skip it whole, and checks far faster than the conversion above.
        and created_at >= cast('{{ recompute_from }} 00:00:00+00' as timestamptz)
    {% endif %}

),

-- The latest copy of each event; copies tied on these three columns count the same.
deduplicated as (

    {{ keep_one_per_key('events', 'event_id', 'created_at desc nulls last, user_id, traffic_source') }}

),

final as (

    select
        user_id,
        traffic_source,
        cast(created_at as date) as event_date,
        count(*) as event_count
    from deduplicated
    where user_id is not null and traffic_source is not null and created_at is not null
    group by 1, 2, 3

)

select * from final
