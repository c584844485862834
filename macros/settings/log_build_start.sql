{#-
    on-run-start, every target, after check_settings: one line naming what this run computes and
    reads, so that every build's log says which week it built:

      dbt build: target duckdb, as_of_date 2026-06-30, feature window 2025-06-30 to 2026-06-29,
      raw data: folder data/raw, parquet for every table (detected from the files)
-#}
{% macro log_build_start() -%}
    {#- Not for compile, show or docs, which run the hooks too but build nothing (and may have no
        connection: tests/python/dbt_offline.py). -#}
    {%- if execute and flags.WHICH in ['build', 'run', 'seed', 'snapshot', 'test'] -%}
        {%- set window = feature_window() -%}
        {%- set last_day = modules.datetime.date.fromisoformat(window.end) - modules.datetime.timedelta(days=1) -%}
        {{ log(
            "dbt " ~ flags.WHICH ~ ": target " ~ target.name ~ " (" ~ target.type ~ "), as_of_date " ~ window.end
            ~ ", feature window " ~ window.start ~ " to " ~ last_day.isoformat()
            ~ ", raw data: " ~ adapter.dispatch('raw_location', 'customer_mart')(),
            info=true
        ) }}
    {%- endif -%}
{%- endmacro %}

{#- Where the raw tables are read from, in words: a warehouse's raw schema. -#}
{% macro default__raw_location() -%}
    {{ return("schema " ~ raw_schema()) }}
{%- endmacro %}

{#- Redshift: the external schema and the Glue database it reads (as create_spectrum_schema made it). -#}
{% macro redshift__raw_location() -%}
    {%- set found = run_query(
        "select databasename from svv_external_schemas where schemaname = " ~ sql_string(raw_schema())
    ) -%}
    {{ return(
        "external schema " ~ raw_schema() ~ " over Glue database "
        ~ (found.rows[0][0] if found.rows | length > 0 else "(none: run dbt run-operation create_spectrum_schema)")
    ) }}
{%- endmacro %}

{#- DuckDB: the raw folder and each table's format (raw_table_files). -#}
{% macro duckdb__raw_location() -%}
    {%- set tables = {} -%}
    {%- for table in raw_columns() -%}
        {%- set format = raw_table_files(table).format -%}
        {%- do tables.update({format: tables.get(format, []) + [table]}) -%}
    {%- endfor -%}
    {%- set formats = [] -%}
    {%- for format, names in tables | dictsort -%}
        {%- do formats.append(format ~ " for " ~ (names | join(', ') if tables | length > 1 else "every table")) -%}
    {%- endfor -%}
    {%- set wanted = raw_file_format() -%}
    {{ return(
        "folder " ~ raw_data_dir() ~ ", " ~ formats | join('; ')
        ~ (" (detected from the files)" if wanted == 'auto' else " (raw_file_format " ~ wanted ~ ")")
    ) }}
{%- endmacro %}
