{#-
    DuckDB: the folder holding one folder per raw table (var raw_data_dir, env RAW_DATA_DIR),
    without a trailing slash. Any name the file system allows works (quotes, spaces, non-ASCII
    letters): it only reaches SQL through `sql_string`. Refused, with a message: an empty value,
    control characters, and the characters DuckDB's glob reads as patterns (* ? [ ]), which would
    make the folder mean other folders.
-#}
{% macro raw_data_dir() -%}
    {%- set raw = (var('raw_data_dir', env_var('RAW_DATA_DIR', 'data/raw')) or '') | string -%}
    {%- if raw | trim == '' -%}
        {{ setting_error('raw_data_dir', raw, "must name a folder, such as data/raw", 'RAW_DATA_DIR') }}
    {%- elif modules.re.search('[\x00-\x1f\x7f]', raw) -%}
        {{ setting_error('raw_data_dir', raw, "must not contain control characters (such as a line break)", 'RAW_DATA_DIR') }}
    {%- elif modules.re.search('[][*?]', raw) -%}
        {{ setting_error(
            'raw_data_dir', raw,
            "must not contain * ? [ or ], which DuckDB's file listing reads as patterns; rename or link the folder",
            'RAW_DATA_DIR'
        ) }}
    {%- endif -%}
    {{ return(raw.rstrip('/') if raw.rstrip('/') else '/') }}
{%- endmacro %}
