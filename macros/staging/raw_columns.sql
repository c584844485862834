{#-
    The columns every raw file of each table must have, {table: [column, ...]}: the raw data
    contract (raw_contract, from the sources YAML). Extra columns, such as BigQuery's geography
    columns, are allowed.
-#}
{% macro raw_columns() -%}
    {%- set columns = {} -%}
    {%- for table, contract in raw_contract().items() -%}
        {%- do columns.update({table: contract | map(attribute=0) | list}) -%}
    {%- endfor -%}
    {{ return(columns) }}
{%- endmacro %}
