{#- The engine's type for text; with `size`, text of at most that many bytes where the engine sizes it. -#}
{% macro type_text(size=none) -%}
    {{ return(adapter.dispatch('type_text', 'customer_mart')(size)) }}
{%- endmacro %}

{% macro default__type_text(size=none) -%}
    text
{%- endmacro %}

{#- On Redshift a bare varchar or text is only 256 bytes long; the widest is 65535 bytes. -#}
{% macro redshift__type_text(size=none) -%}
    varchar({{ size or 65535 }})
{%- endmacro %}
