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

{#-
    The sum of a column of `row_fingerprint`s, as text: a signature of a set of rows that changes
    when any row is changed, added or removed, and does not depend on their order (a raw file's
    `file_signature` in the events profile). Each engine adds whole numbers exactly: DuckDB's
    64-bit hashes into a 128-bit sum, the first 60 bits of each MD5 into a 38-digit decimal.
-#}
{% macro fingerprint_sum(column) -%}
    {{ return(adapter.dispatch('fingerprint_sum', 'customer_mart')(column)) }}
{%- endmacro %}

{#- Its type: at most 39 digits (a 128-bit or 38-digit sum) and a sign. -#}
{% macro type_fingerprint_sum() -%}
    {{ type_text(40) }}
{%- endmacro %}

{% macro duckdb__fingerprint_sum(column) -%}
    cast(sum({{ column }}) as varchar)
{%- endmacro %}

{#- PostgreSQL: the first 15 hex digits of the MD5 read as a bit string, then as a bigint. -#}
{% macro default__fingerprint_sum(column) -%}
    cast(sum(cast(cast('x' || substr({{ column }}, 1, 15) as bit(60)) as bigint)) as {{ type_fingerprint_sum() }})
{%- endmacro %}

{#- Redshift: the same 15 hex digits through strtol (AWS "STRTOL function"); summed as a decimal,
    since Redshift sums bigints into a bigint, which would overflow. -#}
{% macro redshift__fingerprint_sum(column) -%}
    cast(sum(cast(strtol(substring({{ column }}, 1, 15), 16) as decimal(38, 0))) as {{ type_fingerprint_sum() }})
{%- endmacro %}
