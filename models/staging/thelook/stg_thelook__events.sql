-- The website events the mart counts: one row per event id (its latest copy), with the raw file it
-- came from. Incremental: each run reads only the raw files it has not merged yet; why, which
-- columns it keeps, and how a changed or removed file rebuilds it are in the model's description.
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='event_id',
    on_schema_change='fail',
    dist='event_id',
    sort='created_at',
    post_hook=[
        "drop table if exists {{ merged_event_files_relation() }}",
        "create table {{ merged_event_files_relation() }} as {{ merged_event_files_sql() }}",
    ],
) }}
-- depends_on: {{ ref('profile_thelook__events') }}
{%- set incremental = is_incremental() -%}
{%- set plan = events_merge_plan() -%}
{%- if execute and plan.message -%}
    {%- do log(plan.message, info=true) -%}
{%- endif -%}
{%- set columns = ['event_id', 'user_id', 'traffic_source', 'created_at', 'raw_file'] %}

with

-- The file is named where the source is read: Spectrum returns its pseudo-column "$path" only
-- when a select from the external table names it.
source as (

    select
        id,
        user_id,
        traffic_source,
        created_at,
        "$path" as raw_file
    from {{ source('thelook', 'events') }}
    {%- if incremental %}
    where
        {%- if plan.new_files %}
        "$path" in (
            {%- for file in plan.new_files %}
            {{ sql_string(file) }}{{ ',' if not loop.last }}
            {%- endfor %}
        )
        {%- else %}
        1 = 0
        {%- endif %}
    {%- endif %}

),

typed as (

    select
        cast(id as {{ dbt.type_bigint() }}) as event_id,
        cast(user_id as {{ dbt.type_bigint() }}) as user_id,
        {{ clean_text('traffic_source') }} as traffic_source,
        {{ to_utc_timestamp('created_at') }} as created_at,
        cast(raw_file as {{ type_raw_file() }}) as raw_file,
        1 as is_new
    from source
    where id is not null

),

{%- if incremental %}

-- The rows merged before for the event ids of the new files: a new copy must still lose to an
-- older but later-dated one, exactly as a full build decides.
merged as (

    select
        {{ columns | join(', ') }},
        0 as is_new
    from {{ this }}
    where event_id in (select typed.event_id from typed)

),

candidates as (

    select * from typed
    union all
    select * from merged

),
{%- endif %}

-- The latest copy of each event (staging_rules); the file's path breaks the last ties, so that an
-- incremental run keeps the row a full build keeps. When the profile found no event id twice in
-- the raw events, a full build has nothing to choose between, and skips the sort.
deduplicated as (

    {%- if not incremental and plan.one_row_per_id %}
    select * from typed
    {%- else %}
    {{ keep_one_per_key(
        'candidates' if incremental else 'typed',
        'event_id',
        'created_at desc nulls last, user_id, traffic_source, raw_file'
    ) }}
    {%- endif %}

),

final as (

    select {{ columns | join(', ') }}
    from deduplicated
    -- Where a row merged before still wins, nothing changes: delete+insert replaces only the others.
    where is_new = 1

)

select * from final
