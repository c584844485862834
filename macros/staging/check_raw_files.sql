{#-
    Run before every build (on-run-start): stops the build, before any model is touched, when
    a raw file cannot be read or lacks a column of the raw contract (`raw_columns`), with an
    error naming the table and the file. The previous customer_features stays in place.
    Warehouse targets load typed tables and have nothing to check here.
-#}
{% macro check_raw_files() -%}
    {{ return(adapter.dispatch('check_raw_files', 'customer_mart')()) }}
{%- endmacro %}

{% macro default__check_raw_files() -%}
{%- endmacro %}

{% macro duckdb__check_raw_files() -%}
    {%- if execute -%}
        {%- set has_footer_check = run_query(
            "select count(*) from duckdb_functions() where function_name = 'parquet_file_is_complete'"
        ).columns[0].values()[0] > 0 -%}
        {%- for table, expected in raw_columns().items() -%}
            {#- Lists the files and decides the format, or stops naming the folder. -#}
            {%- set raw = raw_table_files(table) -%}
            {%- set files = raw.files -%}
            {%- if raw.format == 'parquet' -%}
                {#- A truncated file loses its footer, which ends with the magic bytes. The profile's
                    plugin (customer_mart.duckdb_plugin) reads the 8 bytes that say so; a profile
                    without it falls back to reading every file whole. -#}
                {%- if has_footer_check -%}
                    {%- set broken_query = "select file from unnest(" ~ sql_string_list(files) ~ ") as listed(file)"
                        ~ " where not parquet_file_is_complete(file) order by file" -%}
                {%- else -%}
                    {%- set broken_query = "select filename from read_blob(" ~ sql_string_list(files) ~ ")"
                        ~ " where content[1:4] <> 'PAR1'::blob or content[-4:] <> 'PAR1'::blob order by filename" -%}
                {%- endif -%}
                {%- set broken = run_query(broken_query).columns[0].values() -%}
                {%- if broken | length > 0 -%}
                    {{ exceptions.raise_compiler_error(
                        "raw table " ~ table ~ ": file " ~ broken[0] ~ " is not a complete Parquet file"
                        ~ " (truncated, or not Parquet at all)"
                    ) }}
                {%- endif -%}
            {%- endif -%}
            {%- for file in files -%}
                {#- Read as the sources read it (raw_reader: one place for the read options). -#}
                {%- set reader = raw_reader(table, files=[file]) -%}
                {%- set found = run_query("describe select * from " ~ reader).columns[0].values() | list -%}
                {%- set missing = expected | reject('in', found) | list -%}
                {%- if missing | length > 0 -%}
                    {{ exceptions.raise_compiler_error(
                        "raw table " ~ table ~ ": file " ~ file ~ " lacks the column(s) " ~ missing | join(', ')
                        ~ " of the raw contract; its columns are: " ~ found | join(', ')
                    ) }}
                {%- endif -%}
            {%- endfor -%}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}
