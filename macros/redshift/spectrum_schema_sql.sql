{#- The `create external schema if not exists` statement for spectrum_settings(). -#}
{% macro spectrum_schema_sql(settings) -%}
    create external schema if not exists {{ settings.schema }}
    from data catalog
    database '{{ settings.glue_database }}'
    {%- if settings.region %}
    region '{{ settings.region }}'
    {%- endif %}
    iam_role '{{ settings.iam_role }}'
{%- endmacro %}
