{#- CSV rows cut short, one row each, per engine; the raw-table profiles count them (profile_raw_table). -#}
{% macro default__test_rows_cut_short(model) %}
    select 1 as row_cut_short
    where 1 = 0
{% endmacro %}

{% macro duckdb__test_rows_cut_short(model) %}
    {%- if raw_file_format() == 'csv' %}
    select *
    from {{ model }}
    except all
    select *
    from read_csv(
        '{{ raw_file_glob(model.identifier) }}',
        header = true, all_varchar = true, union_by_name = true, delim = ',', quote = '"', escape = '"',
        nullstr = ['', 'null', 'NULL'], ignore_errors = true
    )
    {%- else %}
    {{ default__test_rows_cut_short(model) }}
    {%- endif %}
{% endmacro %}
