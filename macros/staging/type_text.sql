{#- The engine's type for text; with `size`, text of at most that many bytes where the engine sizes it. -#}
{% macro type_text(size=none) -%}
    {{ return(adapter.dispatch('type_text', 'customer_mart')(size)) }}
{%- endmacro %}

{% macro default__type_text(size=none) -%}
    text
{%- endmacro %}

{#- On Redshift a bare varchar or text is only 256 bytes long; the widest is 65535 bytes. -#}
{% macro redshift__type_text(size=none) -%}
    varchar({{ size or 65535 }})
{%- endmacro %}

{#- A raw file's name as the profiles and stg_thelook__events keep it. On Redshift it is Spectrum's
    "$path", an S3 URI: `s3://`, a bucket name (at most 63 bytes), `/` and a key (at most 1,024
    bytes), 1,093 bytes in all. -#}
{% macro type_raw_file() -%}
    {{ type_text(1093) }}
{%- endmacro %}
