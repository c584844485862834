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
        {%- set format = raw_file_format() -%}
        {%- if format not in ('parquet', 'csv') -%}
            {{ exceptions.raise_compiler_error("raw_file_format must be parquet or csv, got '" ~ format ~ "'") }}
        {%- endif -%}
        {%- set has_footer_check = format == 'parquet' and run_query(
            "select count(*) from duckdb_functions() where function_name = 'parquet_file_is_complete'"
        ).columns[0].values()[0] > 0 -%}
        {%- for table, expected in raw_columns().items() -%}
            {%- set pattern = raw_file_glob(table) -%}
            {%- set files = run_query("select file from glob('" ~ pattern ~ "') order by file").columns[0].values() -%}
            {%- if files | length == 0 -%}
                {{ exceptions.raise_compiler_error("raw table " ~ table ~ ": no file matches " ~ pattern) }}
            {%- endif -%}
            {%- if format == 'parquet' -%}
                {#- A truncated file loses its footer, which ends with the magic bytes. The profile's
                    plugin (customer_mart.duckdb_plugin) reads the 8 bytes that say so; a profile
                    without it falls back to reading every file whole. -#}
                {%- if has_footer_check -%}
                    {%- set broken_query = "select file from glob('" ~ pattern ~ "')"
                        ~ " where not parquet_file_is_complete(file) order by file" -%}
                {%- else -%}
                    {%- set broken_query = "select filename from read_blob('" ~ pattern ~ "')"
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
                {%- if format == 'csv' -%}
                    {%- set reader = "read_csv('" ~ file ~ "', header = true, all_varchar = true, delim = ',', quote = '\"', escape = '\"')" -%}
                {%- else -%}
                    {%- set reader = "read_parquet('" ~ file ~ "')" -%}
                {%- endif -%}
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
