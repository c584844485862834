{#-
    DuckDB: the raw file format asked for (var raw_file_format, env RAW_FILE_FORMAT), in any case:
    `parquet`, `csv` (also reads `.csv.gz`), or empty/`auto` to detect it from each table folder's
    files (`raw_table_files`). Returns 'parquet', 'csv' or 'auto'.
-#}
{% macro raw_file_format() -%}
    {%- set raw = (var('raw_file_format', env_var('RAW_FILE_FORMAT', '')) or '') | string -%}
    {%- set value = raw | trim | lower -%}
    {%- if value in ('', 'auto') -%}
        {{ return('auto') }}
    {%- elif value not in ('parquet', 'csv') -%}
        {{ setting_error(
            'raw_file_format', raw, "must be parquet, csv (in any case) or empty to detect it from the files",
            'RAW_FILE_FORMAT'
        ) }}
    {%- endif -%}
    {{ return(value) }}
{%- endmacro %}
