{#- The current time as a UTC timestamp without zone, the type staging gives every timestamp. -#}
{% macro utc_now() -%}
    {{ to_utc_timestamp(dbt.current_timestamp()) }}
{%- endmacro %}
