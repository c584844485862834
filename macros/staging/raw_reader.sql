{#-
    DuckDB: the table function that reads one raw table's files (`raw_table_files`), the one place
    the read options are written. Parquet: by column name across files. CSV (plain or gzip): a
    header row (a UTF-8 byte-order mark before it is dropped), RFC 4180 quoting, every value as
    text (staging casts it), an empty field, null and NULL as NULL, and a row cut short keeps its
    leading fields with the rest NULL. Folder names such as `dt=2026-11-23` add no column
    (hive_partitioning off): the contract's columns come from the files.
    `strict`: CSV rows cut short are dropped instead (test rows_cut_short compares the two).
    `with_filename`: adds the column `filename`, the file each row comes from.
    `files`: read only these of the table's files (a subset of `raw_table_files(table).files`).
-#}
{% macro raw_reader(table, strict=false, with_filename=false, files=none) -%}
    {%- set raw = raw_table_files(table) -%}
    {%- set files = raw.files if files is none else files -%}
    {%- if raw.format == 'parquet' -%}
        read_parquet({{ sql_string_list(files) }}, union_by_name = true, hive_partitioning = false
        {{- ', filename = true' if with_filename }})
    {%- else -%}
        read_csv({{ sql_string_list(files) }}, header = true, all_varchar = true, union_by_name = true,
        hive_partitioning = false, delim = ',', quote = '"', escape = '"', nullstr = ['', 'null', 'NULL'],
        {{ 'ignore_errors = true' if strict else 'null_padding = true' }}{{ ', filename = true' if with_filename }})
    {%- endif -%}
{%- endmacro %}
