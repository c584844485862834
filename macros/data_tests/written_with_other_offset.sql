{#-
    A SQL condition, true when a raw timestamp of `table` is written as text with an offset other
    than UTC, such as `2025-03-08 23:15:33+02:00`. Only DuckDB reading CSV sees timestamps as text;
    typed columns (Parquet, warehouse tables) carry no per-row offset, so elsewhere it is `false`.
    The format is the table's own, as read (raw_table_files: detected from the files unless
    raw_file_format sets it), never the setting's raw value ('auto' by default).
-#}
{% macro written_with_other_offset(column, table) -%}
    {{ return(adapter.dispatch('written_with_other_offset', 'customer_mart')(column, table)) }}
{%- endmacro %}

{% macro default__written_with_other_offset(column, table) -%}
    false
{%- endmacro %}

{% macro duckdb__written_with_other_offset(column, table) -%}
    {#- In a unit test the source is a fixture (a CTE of another name) whose values are text. -#}
    {%- set is_fixture = source('thelook', table).identifier != table -%}
    {%- if is_fixture or raw_table_files(table).format == 'csv' -%}
    (
        regexp_matches(trim(cast({{ column }} as varchar)), ':[0-9]{2}(\.[0-9]*)? ?[+-][0-9]{2}(:?[0-9]{2})?$')
        and not regexp_matches(trim(cast({{ column }} as varchar)), '[+-]00(:?00)?$')
    )
    {%- else -%}
    false
    {%- endif -%}
{%- endmacro %}
