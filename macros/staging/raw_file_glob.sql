{#-
    DuckDB: the files of one raw table, `<raw_data_dir>/<table>/*.<raw_file_format>`. The same
    path the sources' `external_location` reads (source YAML cannot call macros, so it is
    written there too).
-#}
{% macro raw_file_glob(table) -%}
    {%- set dir = var('raw_data_dir', env_var('RAW_DATA_DIR', 'data/raw')) -%}
    {{- dir }}/{{ table }}/*.{{ raw_file_format() -}}
{%- endmacro %}
