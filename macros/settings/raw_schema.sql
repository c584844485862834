{#-
    The schema of the raw tables (var raw_schema, env RAW_SCHEMA): a plain lower-case SQL name,
    so that it is the same name unquoted on every engine and in the Glue catalog.
-#}
{% macro raw_schema() -%}
    {%- set raw = var('raw_schema', env_var('RAW_SCHEMA', 'thelook_raw')) | string | trim -%}
    {%- if not modules.re.fullmatch('[a-z_][a-z0-9_]{0,62}', raw) -%}
        {{ setting_error(
            'raw_schema', raw,
            "must be a plain schema name: lower-case letters, digits and _, not starting with a digit, at most 63 characters",
            'RAW_SCHEMA'
        ) }}
    {%- endif -%}
    {{ return(raw) }}
{%- endmacro %}
