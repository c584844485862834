{#- DuckDB: `parquet` or `csv`, the format of the raw files. -#}
{% macro raw_file_format() -%}
    {{- var('raw_file_format', env_var('RAW_FILE_FORMAT', 'parquet')) | trim | lower -}}
{%- endmacro %}
