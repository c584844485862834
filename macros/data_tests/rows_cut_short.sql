{#- CSV rows cut short, one row each, per engine; the raw-table profiles count them (profile_raw_table). -#}
{% macro default__test_rows_cut_short(model) %}
    select 1 as row_cut_short
    where 1 = 0
{% endmacro %}

{% macro duckdb__test_rows_cut_short(model) %}
    {%- if raw_table_files(model.identifier).format == 'csv' %}
    {#- The raw view adds the file's path and size (create_raw_views); the strict reader does not. #}
    select * exclude ("$path", "$size")
    from {{ model }}
    except all
    select *
    from {{ raw_reader(model.identifier, strict=true) }}
    {%- else %}
    {{ default__test_rows_cut_short(model) }}
    {%- endif %}
{% endmacro %}
