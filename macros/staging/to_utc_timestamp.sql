{% macro to_utc_timestamp(column) -%}
    {{ return(adapter.dispatch('to_utc_timestamp', 'customer_mart')(column)) }}
{%- endmacro %}

{#-
    DuckDB and PostgreSQL: a value with an offset (timestamptz, or text such as
    '2025-03-08 23:15:33+02') is converted to UTC; a naive value is read in the
    session time zone, which the profile and the loader pin to UTC.
-#}
{% macro default__to_utc_timestamp(column) -%}
    cast((cast({{ column }} as timestamptz) at time zone 'UTC') as timestamp)
{%- endmacro %}

{#- Spectrum (Glue) timestamps carry no zone and are written in UTC. -#}
{% macro redshift__to_utc_timestamp(column) -%}
    cast({{ column }} as timestamp)
{%- endmacro %}
