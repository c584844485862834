{#-
    A SQL condition, true when a raw timestamp is written as text with an offset other than UTC,
    such as `2025-03-08 23:15:33+02:00`. Only DuckDB reading CSV sees timestamps as text; typed
    columns (Parquet, warehouse tables) carry no per-row offset, so elsewhere it is `false`.
-#}
{% macro written_with_other_offset(column) -%}
    {{ return(adapter.dispatch('written_with_other_offset', 'customer_mart')(column)) }}
{%- endmacro %}

{% macro default__written_with_other_offset(column) -%}
    false
{%- endmacro %}

{% macro duckdb__written_with_other_offset(column) -%}
    {%- if raw_file_format() == 'csv' -%}
    (
        regexp_matches(trim(cast({{ column }} as varchar)), ':[0-9]{2}(\.[0-9]*)? ?[+-][0-9]{2}(:?[0-9]{2})?$')
        and not regexp_matches(trim(cast({{ column }} as varchar)), '[+-]00(:?00)?$')
    )
    {%- else -%}
    false
    {%- endif -%}
{%- endmacro %}
