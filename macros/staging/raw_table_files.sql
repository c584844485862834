{#-
    DuckDB: the data files of one raw table and their format, {'format': 'parquet'|'csv',
    'files': [...]}, as the run's start listed them: `create_raw_views` lists every table once,
    records the list in `<raw_schema>.raw_files` and makes the raw views over exactly those files,
    so that every reader in the run (the start-of-run checks, the sources, the profiles, staging,
    `rows_cut_short`) reads the same files, even when a file lands in the folder mid-run (it is
    read by the next run). Before any run has recorded a list (a `dbt compile` on a new
    warehouse), the folder is listed now.
-#}
{% macro raw_table_files(table) -%}
    {%- if not execute -%}
        {{ return({"format": "parquet", "files": []}) }}
    {%- endif -%}
    {%- set recorded = run_query(
        "select count(*) from duckdb_tables() where database_name = current_database()"
        ~ " and schema_name = " ~ sql_string(raw_schema()) ~ " and table_name = 'raw_files'"
    ).columns[0].values()[0] > 0 -%}
    {%- if recorded -%}
        {%- set rows = run_query(
            "select file_format, file from " ~ raw_files_relation() ~ " where table_name = " ~ sql_string(table)
            ~ " order by file"
        ).rows -%}
        {%- if rows | length > 0 -%}
            {%- set files = [] -%}
            {%- for row in rows -%}{%- do files.append(row[1]) -%}{%- endfor -%}
            {{ return({'format': rows[0][0], 'files': files}) }}
        {%- endif -%}
    {%- endif -%}
    {{ return(list_raw_table_files(table)) }}
{%- endmacro %}

{#- DuckDB: the table where `create_raw_views` records the run's list of raw files. -#}
{% macro raw_files_relation() -%}
    {{- adapter.quote(raw_schema()) ~ '.' ~ adapter.quote('raw_files') -}}
{%- endmacro %}

{#-
    DuckDB: the folder of one raw table listed now (only `create_raw_views`, once per run, and
    `raw_table_files` before any run recorded a list). Every file under `<raw_data_dir>/<table>/`,
    at any depth (plain, nested or Hive-partitioned folders such as
    `events/dt=2026-11-23/part-0.parquet`), except names starting with `.` or `_` at any level
    (markers such as `_SUCCESS`, hidden files): `*.parquet` is Parquet, `*.csv` and `*.csv.gz`
    (BigQuery's compressed export) are CSV. The format is `raw_file_format()` when set, else the
    one the files have; a folder holding both formats, another kind of file, or no file stops
    the run, naming the folder.
-#}
{% macro list_raw_table_files(table) -%}
    {%- set folder = raw_data_dir() ~ '/' ~ table -%}
    {%- set listed = run_query("select file from glob(" ~ sql_string(folder ~ '/**') ~ ") order by file").columns[0].values() -%}
    {%- set found = {'parquet': [], 'csv': []} -%}
    {%- set unknown = [] -%}
    {%- for file in listed -%}
        {%- set relative = file[folder | length + 1:] -%}
        {%- if not modules.re.search('(^|/)[._]', relative) -%}
            {%- set name = relative.split('/')[-1] | lower -%}
            {%- if name.endswith('.parquet') -%}
                {%- do found.parquet.append(file) -%}
            {%- elif name.endswith('.csv') or name.endswith('.csv.gz') -%}
                {%- do found.csv.append(file) -%}
            {%- else -%}
                {%- do unknown.append(file) -%}
            {%- endif -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set kinds = "*.parquet, *.csv or *.csv.gz" -%}
    {%- if unknown -%}
        {{ exceptions.raise_compiler_error(
            "raw table " ~ table ~ ": file " ~ unknown[0] ~ " is not a raw data file (" ~ kinds
            ~ "); move it out of " ~ folder ~ ", or start its name with _ to have it ignored"
        ) }}
    {%- endif -%}
    {%- if found.parquet and found.csv -%}
        {{ exceptions.raise_compiler_error(
            "raw table " ~ table ~ ": folder " ~ folder ~ " holds both Parquet (" ~ found.parquet[0]
            ~ ") and CSV (" ~ found.csv[0] ~ ") files; a table is read in one format, so keep one"
        ) }}
    {%- endif -%}
    {%- set wanted = raw_file_format() -%}
    {%- set format = wanted if wanted != 'auto' else ('parquet' if found.parquet else 'csv') -%}
    {%- if not found[format] -%}
        {{ exceptions.raise_compiler_error(
            "raw table " ~ table ~ ": no file in " ~ folder ~ " ("
            ~ ("raw_file_format is " ~ wanted ~ ": " ~ ('*.parquet' if wanted == 'parquet' else '*.csv or *.csv.gz')
               if wanted != 'auto' else kinds)
            ~ ", at any depth)"
        ) }}
    {%- endif -%}
    {{ return({'format': format, 'files': found[format]}) }}
{%- endmacro %}

{#- A list of values as a DuckDB list of string literals: ['a', 'b']. -#}
{% macro sql_string_list(values) -%}
    [{%- for value in values %}{{ sql_string(value) }}{{ ", " if not loop.last }}{% endfor -%}]
{%- endmacro %}
