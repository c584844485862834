{#-
    The fingerprint of the raw events that int_events_daily_by_source was counted from, kept
    next to it in `<model>__raw_fingerprint` (one row per part: raw_part, part_rows,
    part_signature). See the model's description for how a run uses it.
-#}
{% macro events_fingerprint_relation() -%}
    {{ return(api.Relation.create(
        database=this.database,
        schema=this.schema,
        identifier=this.identifier ~ '__raw_fingerprint',
        type='table',
    )) }}
{%- endmacro %}

{#- A select of the current fingerprint: raw_part, part_rows, part_signature. -#}
{% macro events_fingerprint_sql() -%}
    {{ return(adapter.dispatch('events_fingerprint_sql', 'customer_mart')()) }}
{%- endmacro %}

{#-
    Warehouses (PostgreSQL, Redshift): the raw table has no files, so one part per UTC day of
    the events that have an id and a time: how many distinct rows, and the sum of a 60-bit hash
    of each distinct row's four counted columns. Distinct, because a copy identical to one
    already delivered changes no count. One scan of the raw events, aggregated.
-#}
{% macro default__events_fingerprint_sql() -%}
    select
        cast(event_day as {{ type_text() }}) as raw_part,
        count(*) as part_rows,
        cast(sum(cast(row_hash as decimal(38, 0))) as {{ type_text() }}) as part_signature
    from (
        select distinct
            cast(created_at as date) as event_day,
            {{ events_row_hash() }} as row_hash
        from ({{ raw_events_for_counting() }}) as raw_events
        where created_at is not null
    ) as distinct_rows
    group by event_day
{%- endmacro %}

{#-
    DuckDB: one part per raw file: its path, size and modification time, from `read_blob`
    with its `content` column left out, which reads no file's contents (checked with
    EXPLAIN ANALYZE: no data read).
-#}
{% macro duckdb__events_fingerprint_sql() -%}
    select
        filename as raw_part,
        size as part_rows,
        cast(last_modified as varchar) as part_signature
    from read_blob({{ sql_string_list(raw_table_files('events').files) }})
{%- endmacro %}

{#- A 60-bit hash of one raw event row's counted columns, as a bigint (the first 15 hex digits of an md5). -#}
{% macro events_row_hash() -%}
    {{ return(adapter.dispatch('events_row_hash', 'customer_mart')()) }}
{%- endmacro %}

{% macro default__events_row_hash() -%}
    {%- set text = "concat(cast(event_id as varchar), '|', coalesce(cast(user_id as varchar), ''), '|', "
        ~ "coalesce(traffic_source, ''), '|', cast(created_at as varchar))" -%}
    cast(('x' || substr(md5({{ text }}), 1, 15))::bit(60)::bigint as bigint)
{%- endmacro %}

{% macro redshift__events_row_hash() -%}
    {%- set text = "cast(event_id as varchar(20)) || '|' || coalesce(cast(user_id as varchar(20)), '') || '|' || "
        ~ "coalesce(traffic_source, '') || '|' || cast(created_at as varchar(30))" -%}
    strtol(substring(md5({{ text }}), 1, 15), 16)
{%- endmacro %}
