{#- Engine-specific bodies of the generic test `rows_cut_short` (tests/generic/rows_cut_short.sql). -#}
{% macro default__test_rows_cut_short(model) %}
    select 1 as row_cut_short
    where 1 = 0
{% endmacro %}

{% macro duckdb__test_rows_cut_short(model) %}
    {%- if raw_table_files(model.identifier).format == 'csv' %}
    select *
    from {{ model }}
    except all
    select *
    from {{ raw_reader(model.identifier, strict=true) }}
    {%- else %}
    {{ default__test_rows_cut_short(model) }}
    {%- endif %}
{% endmacro %}
