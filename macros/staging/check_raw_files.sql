{#-
    Run before every build (on-run-start): stops the build, before any model is touched, when
    a raw file cannot be read or lacks a column of the raw contract (`raw_columns`), with an
    error naming the table and the file. The previous customer_features stays in place.
    Warehouse targets load typed tables and have nothing to check here.
-#}
{% macro check_raw_files() -%}
    {{ return(adapter.dispatch('check_raw_files', 'customer_mart')()) }}
{%- endmacro %}

{% macro default__check_raw_files() -%}
{%- endmacro %}

{% macro duckdb__check_raw_files() -%}
    {%- if execute -%}
        {%- set plugin_functions = run_query(
            "select function_name from duckdb_functions()"
            ~ " where function_name in ('parquet_file_is_complete', 'csv_header')"
        ).columns[0].values() -%}
        {%- set has_footer_check = 'parquet_file_is_complete' in plugin_functions -%}
        {%- for table, expected in raw_columns().items() -%}
            {#- Lists the files and decides the format, or stops naming the folder. -#}
            {%- set raw = raw_table_files(table) -%}
            {%- set files = raw.files -%}
            {%- if raw.format == 'parquet' -%}
                {#- A truncated file loses its footer, which ends with the magic bytes. The profile's
                    plugin (customer_mart.duckdb_plugin) reads the 8 bytes that say so; a profile
                    without it falls back to reading every file whole. -#}
                {%- if has_footer_check -%}
                    {%- set broken_query = "select file from unnest(" ~ sql_string_list(files) ~ ") as listed(file)"
                        ~ " where not parquet_file_is_complete(file) order by file" -%}
                {%- else -%}
                    {%- set broken_query = "select filename from read_blob(" ~ sql_string_list(files) ~ ")"
                        ~ " where content[1:4] <> 'PAR1'::blob or content[-4:] <> 'PAR1'::blob order by filename" -%}
                {%- endif -%}
                {%- set broken = run_query(broken_query).columns[0].values() -%}
                {%- if broken | length > 0 -%}
                    {{ exceptions.raise_compiler_error(
                        "raw table " ~ table ~ ": file " ~ broken[0] ~ " is not a complete Parquet file"
                        ~ " (truncated, or not Parquet at all)"
                    ) }}
                {%- endif -%}
            {%- endif -%}
            {#- Each file's columns in one query per table, not one per file (thousands of shards):
                Parquet from the footers (parquet_schema, whose flattened tree is walked for the
                top-level names); CSV from the header rows, a few bytes each (csv_header, the
                profile's plugin). A CSV file csv_header cannot read, and every file without the
                plugin, is read as the sources read it (raw_reader: one place for the read options). -#}
            {%- set headers = {} -%}
            {%- if raw.format == 'parquet' -%}
                {%- set walk = namespace(file=none, open=[]) -%}
                {%- for file, name, children in run_query(
                    "select file_name, name, coalesce(num_children, 0) from parquet_schema(" ~ sql_string_list(files) ~ ")"
                    ~ " order by file_name, column_id"
                ).rows -%}
                    {%- if file != walk.file -%}
                        {#- The root: its children are the top-level columns. -#}
                        {%- set walk.file, walk.open = file, [children] -%}
                        {%- do headers.update({file: []}) -%}
                    {%- else -%}
                        {%- if walk.open | length == 1 -%}
                            {%- do headers[file].append(name) -%}
                        {%- endif -%}
                        {%- set walk.open = walk.open[:-1] + [walk.open[-1] - 1] + ([children] if children > 0 else []) -%}
                        {%- for _ in range(walk.open | length) if walk.open | length > 1 and walk.open[-1] == 0 -%}
                            {%- set walk.open = walk.open[:-1] -%}
                        {%- endfor -%}
                    {%- endif -%}
                {%- endfor -%}
            {%- elif 'csv_header' in plugin_functions -%}
                {%- for file, name, position in run_query(
                    "select file, unnest(header), generate_subscripts(header, 1) as position"
                    ~ " from (select file, csv_header(file) as header"
                    ~ " from unnest(" ~ sql_string_list(files) ~ ") as listed(file)) as headers"
                    ~ " order by file, position"
                ).rows -%}
                    {%- do headers.update({file: headers.get(file, []) + [name]}) -%}
                {%- endfor -%}
            {%- endif -%}
            {%- for file in files -%}
                {%- if file in headers -%}
                    {%- set found = headers[file] -%}
                {%- else -%}
                    {%- set reader = raw_reader(table, files=[file]) -%}
                    {%- set found = run_query("describe select * from " ~ reader).columns[0].values() | list -%}
                {%- endif -%}
                {%- set missing = expected | reject('in', found) | list -%}
                {%- if missing | length > 0 -%}
                    {{ exceptions.raise_compiler_error(
                        "raw table " ~ table ~ ": file " ~ file ~ " lacks the column(s) " ~ missing | join(', ')
                        ~ " of the raw contract; its columns are: " ~ found | join(', ')
                    ) }}
                {%- endif -%}
            {%- endfor -%}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}
