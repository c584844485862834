{#-
    DuckDB (on-run-start, first after check_settings): lists each raw table's folder once for the
    whole run (`list_raw_table_files`), records the list in `<raw_schema>.raw_files` (table, format,
    file, size and modification time from `read_blob` without its `content` column, which opens
    no file), and makes one view per raw table, `<raw_schema>.<table>`, over exactly those files
    as `raw_reader` reads them. Every later reader in the run takes the same list
    (`raw_table_files`), so a file that lands while the run goes on is read by the next run, never
    half by this one. Before the views, the listed files are checked (`check_raw_files`,
    `check_raw_types`: a broken file stops the run naming table and file). Each view adds the columns `"$path"` (the file each row comes from) and
    `"$size"` (its size in bytes), named as Redshift Spectrum names its pseudo-columns and as
    `customer-mart load` records them on PostgreSQL, so that one SQL reads them on every engine.
    The sources name these views on every engine (on PostgreSQL and Redshift the same names are
    the loaded or external tables). A no-op elsewhere.
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
        {%- set listings = [] -%}
        {%- for table in raw_columns() -%}
            {%- set raw = list_raw_table_files(table) -%}
            {%- do listings.append(
                "select " ~ sql_string(table) ~ " as table_name, " ~ sql_string(raw.format) ~ " as file_format,"
                ~ " filename as file, size as file_size, last_modified from read_blob(" ~ sql_string_list(raw.files) ~ ")"
            ) -%}
        {%- endfor -%}
        {%- do run_query("create or replace table " ~ raw_files_relation() ~ " as " ~ listings | join(" union all ")) -%}
        {#- Every listed file readable and of the raw contract before any view is bound to it: a view
            over a truncated Parquet file fails at creation with DuckDB's own error, naming no table. -#}
        {%- do check_raw_files() -%}
        {%- do check_raw_types() -%}
        {%- for table in raw_columns() -%}
            {%- set files = [] -%}
            {%- set sizes = [] -%}
            {%- for file, size in run_query(
                "select file, file_size from " ~ raw_files_relation() ~ " where table_name = " ~ sql_string(table)
            ).rows -%}
                {%- do files.append(sql_string(file)) -%}
                {%- do sizes.append("when " ~ sql_string(file) ~ " then " ~ size) -%}
            {%- endfor -%}
            {#- "$path" is an ENUM of the listed files: one byte or two a row where a profile sorts the
                rows, printed and compared as text; a filter on it still picks the files DuckDB opens.
                Both expressions are evaluated once per chunk of rows, which come from one file. -#}
            {%- do run_query(
                "create or replace view " ~ schema ~ "." ~ adapter.quote(table)
                ~ " as select * exclude (filename), cast(filename as enum(" ~ files | join(", ") ~ ")) as \"$path\","
                ~ " cast(case filename " ~ sizes | join(" ") ~ " end as bigint) as \"$size\""
                ~ " from " ~ raw_reader(table, with_filename=true)
            ) -%}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}
