{#-
    The size of each text column of the raw contract (raw_contract, from the sources YAML), in
    bytes of UTF-8: {table: {column: n}} for every `varchar(n)`. Staging keeps a value only when it
    fits (clean_text), and the profiles count the rows with one that does not (with_oversized_text).
-#}
{% macro raw_text_sizes() -%}
    {%- set sizes = {} -%}
    {%- for table, contract in raw_contract().items() -%}
        {%- set columns = {} -%}
        {%- for column, data_type in contract if data_type.startswith('varchar(') -%}
            {%- do columns.update({column: data_type[8:-1] | int}) -%}
        {%- endfor -%}
        {%- do sizes.update({table: columns}) -%}
    {%- endfor -%}
    {{ return(sizes) }}
{%- endmacro %}
