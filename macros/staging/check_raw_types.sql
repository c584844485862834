{#-
    Run before every build (on-run-start, after check_raw_files): stops the build, before any
    model is touched, when a raw value could not be read as its contract type (`raw_column_types`),
    with an error naming the table, the file, the column and an example value. The previous
    customer_features stays in place. Warehouse targets load typed tables (customer-mart load
    checks the same) and have nothing to check here.

    Parquet: each file's column types, read from its footer, must be the contract's kind:
    integers for an integer column (floats only when every value is whole: a 41.5 age is an
    error, never rounded), integers or floats for a number, a timestamp type for a timestamp
    (text or epoch integers are refused: their zone and unit are unknown). CSV holds only text:
    every non-empty value of a typed column must cast as staging casts it (scans the files once).
-#}
{% macro check_raw_types() -%}
    {{ return(adapter.dispatch('check_raw_types', 'customer_mart')()) }}
{%- endmacro %}

{% macro default__check_raw_types() -%}
{%- endmacro %}

{#- The SQL condition true for a text value that staging could not cast to `kind`. -#}
{% macro raw_value_is_bad(column, kind) -%}
    {%- set target = {'integer': 'bigint', 'number': 'double', 'timestamp': 'timestamptz'}[kind] -%}
    ({{ column }} is not null and try_cast({{ column }} as {{ target }}) is null)
{%- endmacro %}

{% macro duckdb__check_raw_types() -%}
    {%- if execute -%}
        {%- set contract = {'integer': 'INT64', 'number': 'FLOAT64', 'timestamp': 'TIMESTAMP'} -%}
        {%- set wanted = {'integer': 'whole numbers', 'number': 'numbers', 'timestamp': 'timestamps'} -%}
        {%- for table, typed in raw_column_types().items() -%}
            {%- set raw = raw_table_files(table) -%}
            {%- if raw.format == 'csv' -%}
                {%- set measures = [] -%}
                {%- for column, kind in typed.items() -%}
                    {%- set bad = raw_value_is_bad(adapter.quote(column), kind) -%}
                    {%- do measures.append("count(*) filter (where " ~ bad ~ ")") -%}
                    {%- do measures.append("min(filename || chr(10) || " ~ adapter.quote(column) ~ ") filter (where " ~ bad ~ ")") -%}
                {%- endfor -%}
                {%- set row = run_query(
                    "select " ~ measures | join(', ') ~ " from " ~ raw_reader(table, with_filename=true)
                ).rows[0] -%}
                {%- for column, kind in typed.items() -%}
                    {%- if row[2 * loop.index0] > 0 -%}
                        {%- set file, value = row[2 * loop.index0 + 1].split('\n', 1) -%}
                        {{ exceptions.raise_compiler_error(
                            "raw table " ~ table ~ ": column " ~ column ~ " holds " ~ row[2 * loop.index0]
                            ~ " value(s) that are not " ~ wanted[kind] ~ " (" ~ contract[kind] ~ " in the raw contract), such as "
                            ~ (value | tojson) ~ " in file " ~ file ~ "; correct the export (an empty field is NULL)"
                        ) }}
                    {%- endif -%}
                {%- endfor -%}
            {%- else -%}
                {%- set names = [] -%}
                {%- for column in typed -%}
                    {%- do names.append(sql_string(column)) -%}
                {%- endfor -%}
                {%- set schema = run_query(
                    "select file_name, name, duckdb_type from parquet_schema(" ~ sql_string_list(raw.files) ~ ")"
                    ~ " where name in (" ~ names | join(', ') ~ ")"
                    ~ " order by file_name, name"
                ) -%}
                {%- for file, column, found in schema.rows -%}
                    {%- set kind = typed[column] -%}
                    {%- set found = found | upper -%}
                    {%- set is_integer = found in ('TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT', 'HUGEINT', 'UTINYINT', 'USMALLINT', 'UINTEGER', 'UBIGINT') -%}
                    {%- set is_float = found in ('FLOAT', 'DOUBLE') or found.startswith('DECIMAL') -%}
                    {%- set is_timestamp = found.startswith('TIMESTAMP') -%}
                    {%- set problem = none -%}
                    {%- if kind == 'timestamp' and not is_timestamp -%}
                        {%- set problem = "is stored as " ~ found ~ ("; epoch numbers have no known unit or zone" if is_integer or is_float else "") -%}
                    {%- elif kind == 'number' and not (is_integer or is_float) -%}
                        {%- set problem = "is stored as " ~ found -%}
                    {%- elif kind == 'integer' and is_float -%}
                        {%- set fraction = run_query(
                            "select count(*), min(" ~ adapter.quote(column) ~ ") from read_parquet(" ~ sql_string(file) ~ ")"
                            ~ " where " ~ adapter.quote(column) ~ " <> trunc(" ~ adapter.quote(column) ~ ")"
                        ).rows[0] -%}
                        {%- if fraction[0] > 0 -%}
                            {%- set problem = "is stored as " ~ found ~ " and holds " ~ fraction[0] ~ " value(s) with a fraction, such as " ~ fraction[1] ~ " (never rounded)" -%}
                        {%- endif -%}
                    {%- elif kind == 'integer' and not is_integer -%}
                        {%- set problem = "is stored as " ~ found -%}
                    {%- endif -%}
                    {%- if problem and found == 'VARCHAR' -%}
                        {%- set example = run_query(
                            "select min(" ~ adapter.quote(column) ~ ") from read_parquet(" ~ sql_string(file) ~ ") where "
                            ~ raw_value_is_bad(adapter.quote(column), kind)
                        ).rows[0][0] -%}
                        {%- set problem = "is stored as text" ~ (", such as " ~ (example | tojson) if example is not none else "") -%}
                    {%- endif -%}
                    {%- if problem -%}
                        {{ exceptions.raise_compiler_error(
                            "raw table " ~ table ~ ": file " ~ file ~ ": column " ~ column ~ " " ~ problem
                            ~ "; the raw contract says " ~ contract[kind] ~ ": export it with that type"
                        ) }}
                    {%- endif -%}
                {%- endfor -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}
