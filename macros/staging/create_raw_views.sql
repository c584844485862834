{#-
    DuckDB (on-run-start, after the checks): one view per raw table, `<raw_schema>.<table>`, over
    its files as `raw_reader` reads them. The sources name these views on every engine (on
    PostgreSQL and Redshift the same names are the loaded or external tables), so the file
    layout and format are decided once, here, at the start of each run. A no-op elsewhere.
-#}
{% macro create_raw_views() -%}
    {{ return(adapter.dispatch('create_raw_views', 'customer_mart')()) }}
{%- endmacro %}

{% macro default__create_raw_views() -%}
{%- endmacro %}

{% macro duckdb__create_raw_views() -%}
    {%- if execute -%}
        {%- set schema = adapter.quote(raw_schema()) -%}
        {%- do run_query("create schema if not exists " ~ schema) -%}
        {%- for table in raw_columns() -%}
            {%- do run_query(
                "create or replace view " ~ schema ~ "." ~ adapter.quote(table)
                ~ " as select * from " ~ raw_reader(table)
            ) -%}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}
