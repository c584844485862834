{% macro clean_text(column) -%}
    nullif(trim(cast({{ column }} as {{ type_text() }})), '')
{%- endmacro %}
