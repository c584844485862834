{#-
    A SQL condition, true when a raw amount in dollars is a number the mart can hold: finite and
    less than 10 billion in size, since customer_features' amounts are numeric(12,2), at most
    9,999,999,999.99. False for NaN and both infinities on every engine: the two comparisons
    exclude them whether NaN compares above every number (PostgreSQL, DuckDB) or with nothing.
-#}
{% macro amount_in_range(column) -%}
    (cast({{ column }} as double precision) > -1e10 and cast({{ column }} as double precision) < 1e10)
{%- endmacro %}
