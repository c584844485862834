{#-
    The freshness guard's limit: the most days a raw table's newest row may lie before as_of_date
    (var max_raw_table_age_days, default in dbt_project.yml), a whole number of days, 1 or more;
    or `off` (YAML also reads an unquoted off as false) for no limit: returns none.
-#}
{% macro max_raw_table_age_days() -%}
    {%- set raw = var('max_raw_table_age_days') | string | trim -%}
    {%- if raw | lower in ('off', 'false') -%}
        {{ return(none) }}
    {%- elif not modules.re.fullmatch('[0-9]+', raw) or (raw | int) < 1 -%}
        {{ setting_error(
            'max_raw_table_age_days', raw,
            "must be a whole number of days, 1 or more, such as 7, or off for no limit"
        ) }}
    {%- endif -%}
    {{ return(raw | int) }}
{%- endmacro %}
