{#-
    One value per distinct row of `columns`: equal rows give equal values (NULLs equal), other rows
    almost surely different ones. The raw-table profiles count exact copies and conflicting
    versions of a key by counting distinct fingerprints, without grouping on every column.
-#}
{% macro row_fingerprint(columns) -%}
    {{ return(adapter.dispatch('row_fingerprint', 'customer_mart')(columns)) }}
{%- endmacro %}

{#- An MD5 of the columns as text, each marked as value or NULL so that NULL and '' differ. -#}
{% macro default__row_fingerprint(columns) -%}
    md5(
        {%- for column in columns %}
        coalesce('v' || cast({{ column }} as {{ type_text() }}), 'n'){{ " || '|' ||" if not loop.last }}
        {%- endfor %}
    )
{%- endmacro %}

{#-
    DuckDB's 64-bit hash of the values, far cheaper than MD5 over text. Two different rows share a
    hash with a probability of about n^2 / 2^65 for n rows (1e-5 for 24 million events).
-#}
{% macro duckdb__row_fingerprint(columns) -%}
    hash({{ columns | join(', ') }})
{%- endmacro %}
