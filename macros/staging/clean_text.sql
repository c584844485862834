{#-
    A raw text column as staging keeps it: trimmed, NULL when empty, and NULL when longer than its
    size in the raw contract (raw_text_sizes: n bytes of UTF-8, Redshift's varchar(n)), on every
    engine alike; the profiles count those rows (with_oversized_text). Typed `type_text(n)`.
    `table` is the raw table; by default the one the calling model is named for
    (stg_thelook__<table>, profile_thelook__<table>).
-#}
{% macro clean_text(column, table=none) -%}
    {%- set size = raw_text_size(column, table) -%}
    {%- set trimmed = "trim(cast(" ~ column ~ " as " ~ type_text() ~ "))" -%}
    {#- The cast outside the case: a case may drop the size of its branches' type (PostgreSQL's does). #}
    cast(case when {{ text_bytes(trimmed) }} <= {{ size }} then nullif({{ trimmed }}, '') end as {{ type_text(size) }})
{%- endmacro %}
