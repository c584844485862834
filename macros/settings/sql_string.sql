{#-
    A value as a SQL string literal: in single quotes, each quote inside doubled. Standard SQL
    (DuckDB, PostgreSQL, Redshift with standard strings) reads nothing else specially in such a
    literal, so no value can end it and run a statement of its own.
-#}
{% macro sql_string(value) -%}
    {{- "'" ~ (value | string | replace("'", "''")) ~ "'" -}}
{%- endmacro %}
