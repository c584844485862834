{#- The text type of a segment table's column: varchar(n) on Redshift (a bare varchar is 256 bytes
    there, and the contract names the length), text elsewhere. -#}
{% macro segment_text(length) -%}
    {{ 'varchar(' ~ length ~ ')' if target.type == 'redshift' else 'text' }}
{%- endmacro %}
