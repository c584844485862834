-- The run history of the raw tables: one row per raw table per build, appended, never refreshed.
-- Each row carries the rows the last successful build read (the last build whose mart was
-- written, in monitoring_mart_volumes), which the volume guard compares with, and the table's
-- newest row at or before as_of_date, which the freshness guard compares with as_of_date.
-- Columns added later are appended to an existing history (on_schema_change).
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='append_new_columns',
    full_refresh=false,
) }}

{%- set settings = volume_guard_settings() -%}
{%- set max_age_days = max_raw_table_age_days() -%}
{%- set mart_history = none -%}
{%- if execute and flags.WHICH in ['build', 'run'] -%}
    {%- set mart_history = adapter.get_relation(this.database, this.schema, 'monitoring_mart_volumes') -%}
{%- endif -%}
{%- set tables = ['users', 'orders', 'order_items', 'events', 'products', 'inventory_items', 'distribution_centers'] %}

with

{% for table in tables -%}
    {{ table }}_profile as (

        select
            '{{ table }}' as table_name,
            sum(rows_read) as rows_read,
            {%- if 'created_at' in raw_columns()[table] %}
                max(newest_created_at) as newest_row_at,
                {{ max_age_days if max_age_days is not none else 'cast(null as integer)' }} as max_age_days
            {%- else %}
                cast(null as timestamp) as newest_row_at,
                cast(null as integer) as max_age_days
            {%- endif %}
        from {{ ref('profile_thelook__' ~ table) }}

    ),

{% endfor -%}

rows_read as (

    {%- for table in tables %}
        select * from {{ table }}_profile
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}

),

{%- if is_incremental() and mart_history is not none %}

last_success as (

    select invocation_id, run_started_at, as_of_date
    from {{ mart_history }}
    where run_started_at = (select max(run_started_at) from {{ mart_history }})

),

previous as (

    select
        history.table_name,
        history.rows_read,
        last_success.run_started_at,
        last_success.as_of_date
    from {{ this }} as history
    inner join last_success
        on history.invocation_id = last_success.invocation_id

),
{%- else %}

    previous as (

        select
            cast(null as {{ type_text(32) }}) as table_name,
            cast(null as {{ dbt.type_bigint() }}) as rows_read,
            cast(null as timestamp) as run_started_at,
            cast(null as date) as as_of_date
        where 1 = 0

    ),
{%- endif %}

final as (

    select
        {{ this_build_columns() }},
        cast(rows_read.table_name as {{ type_text(32) }}) as table_name,
        cast(coalesce(rows_read.rows_read, 0) as {{ dbt.type_bigint() }}) as rows_read,
        cast(previous.rows_read as {{ dbt.type_bigint() }}) as previous_rows_read,
        previous.run_started_at as previous_run_started_at,
        previous.as_of_date as previous_as_of_date,
        cast({{ settings.max_raw_table_shrink }} as double precision) as max_shrink,
        cast(rows_read.newest_row_at as timestamp) as newest_row_at,
        cast(rows_read.max_age_days as integer) as max_age_days
    from rows_read
    left join previous
        on rows_read.table_name = previous.table_name

)

select * from final
