{% macro type_text() -%}
    {{ return(adapter.dispatch('type_text', 'customer_mart')()) }}
{%- endmacro %}

{% macro default__type_text() -%}
    text
{%- endmacro %}

{#- On Redshift a bare varchar or text is only 256 bytes long. -#}
{% macro redshift__type_text() -%}
    varchar(65535)
{%- endmacro %}
