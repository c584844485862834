{#-
    The typed columns of the raw contract (raw_contract, from the sources YAML): per table, each
    column that is not text and its kind, `integer` (bigint, BigQuery INT64), `number` (double,
    FLOAT64) or `timestamp` (TIMESTAMP). `check_raw_types` holds every raw file to these.
-#}
{% macro raw_column_types() -%}
    {%- set kinds = {'bigint': 'integer', 'double': 'number', 'timestamp': 'timestamp'} -%}
    {%- set typed = {} -%}
    {%- for table, contract in raw_contract().items() -%}
        {%- set columns = {} -%}
        {%- for column, data_type in contract if data_type in kinds -%}
            {%- do columns.update({column: kinds[data_type]}) -%}
        {%- endfor -%}
        {%- do typed.update({table: columns}) -%}
    {%- endfor -%}
    {{ return(typed) }}
{%- endmacro %}
