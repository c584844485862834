{#-
    The size in bytes of one text column of the raw contract (raw_text_sizes). `table` is the raw
    table; by default the one the calling model is named for (stg_thelook__<table>,
    profile_thelook__<table>; in a unit test, the model it tests).
-#}
{% macro raw_text_size(column, table=none) -%}
    {%- set caller_name = (model.get('tested_node_unique_id') or model.name).split('.')[-1] if model is defined else '' -%}
    {%- set named = modules.re.fullmatch('(?:stg|profile)_thelook__(\\w+)', caller_name) -%}
    {%- set table = table or (named.group(1) if named else none) -%}
    {%- if not table -%}
        {{ exceptions.raise_compiler_error(
            "raw_text_size(" ~ (column | tojson) ~ "): name the raw table (table=...); "
            ~ caller_name ~ " is not named stg_thelook__<table> or profile_thelook__<table>"
        ) }}
    {%- endif -%}
    {%- set size = raw_text_sizes().get(table, {}).get(column) -%}
    {%- if size is none -%}
        {{ exceptions.raise_compiler_error(
            "raw_text_size: " ~ table ~ "." ~ column ~ " is not a text column of the raw contract"
            ~ " (a varchar(n) data_type in models/staging/thelook/_thelook__sources.yml)"
        ) }}
    {%- endif -%}
    {{ return(size) }}
{%- endmacro %}
