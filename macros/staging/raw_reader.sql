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

    CSV files are read in groups of the same header (csv_file_groups), each group by one
    `read_csv` that takes its columns from its first file, the groups put together by column
    name: DuckDB's `union_by_name` over the files would instead open and sniff every file at once,
    about 20 MB each for gzip, so that a few hundred BigQuery shards exhaust the memory limit.
-#}
{% macro raw_reader(table, strict=false, with_filename=false, files=none) -%}
    {%- set raw = raw_table_files(table) -%}
    {%- set files = raw.files if files is none else files -%}
    {%- if raw.format == 'parquet' -%}
        read_parquet({{ sql_string_list(files) }}, union_by_name = true, hive_partitioning = false
        {{- ', filename = true' if with_filename }})
    {%- else -%}
        {%- set groups = csv_file_groups(files) -%}
        {%- set readers = [] -%}
        {%- for group in (groups if groups is not none else [files]) -%}
            {%- do readers.append(
                "read_csv(" ~ sql_string_list(group) ~ ", header = true, all_varchar = true, "
                ~ "union_by_name = " ~ ('false' if groups is not none else 'true') ~ ", "
                ~ "hive_partitioning = false, delim = ',', quote = '\"', escape = '\"', nullstr = ['', 'null', 'NULL'], "
                ~ ('ignore_errors = true' if strict else 'null_padding = true')
                ~ (', filename = true' if with_filename else '') ~ ")"
            ) -%}
        {%- endfor -%}
        {%- if readers | length == 1 -%}
            {{ readers[0] }}
        {%- else -%}
            (select * from {{ readers | join(' union all by name select * from ') }})
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}

{#-
    DuckDB: `files` (CSV) in groups of the same header row, each group in file order, the groups in
    the order of their first file; read with `csv_header` from the profile's plugin
    (customer_mart.duckdb_plugin), a few bytes per file. None where the plugin is missing (a
    profiles.yml copied before it existed): raw_reader then reads all files by name at once.
-#}
{% macro csv_file_groups(files) -%}
    {%- if not execute or files | length == 0 -%}
        {{ return([files]) }}
    {%- endif -%}
    {%- set has_header_function = run_query(
        "select count(*) from duckdb_functions() where function_name = 'csv_header'"
    ).columns[0].values()[0] > 0 -%}
    {%- if not has_header_function -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set headers = run_query(
        "select file, cast(csv_header(file) as varchar) as header from unnest(" ~ sql_string_list(files) ~ ")"
        ~ " as listed(file) order by file"
    ) -%}
    {%- set groups = {} -%}
    {%- set order = [] -%}
    {%- for file, header in headers.rows -%}
        {%- set key = header | string -%}
        {%- if key not in groups -%}
            {%- do groups.update({key: []}) -%}
            {%- do order.append(key) -%}
        {%- endif -%}
        {%- do groups[key].append(file) -%}
    {%- endfor -%}
    {%- set result = [] -%}
    {%- for key in order -%}
        {%- do result.append(groups[key]) -%}
    {%- endfor -%}
    {{ return(result) }}
{%- endmacro %}
