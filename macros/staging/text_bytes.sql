{#-
    The length of a text value in bytes of UTF-8, the unit of Redshift's varchar(n) (AWS,
    "Character types": "defined in terms of bytes, not characters"). OCTET_LENGTH on Redshift
    and PostgreSQL; DuckDB's strlen (its length counts characters).
-#}
{% macro text_bytes(expression) -%}
    {{ return(adapter.dispatch('text_bytes', 'customer_mart')(expression)) }}
{%- endmacro %}

{% macro default__text_bytes(expression) -%}
    octet_length({{ expression }})
{%- endmacro %}

{% macro duckdb__text_bytes(expression) -%}
    strlen({{ expression }})
{%- endmacro %}
