{#-
    `customer-mart smoke`'s read of one raw table through the warehouse (on Redshift, a Spectrum
    scan): how many rows, how many non-NULL values in each contract column (which reads every
    column of every file, so that a file Spectrum cannot read fails here), and the first row.
    Logs one line `smoke-read <json>` that the command reads; an unreadable table fails the
    operation with the warehouse's error.
-#}
{% macro smoke_read_raw_table(table) -%}
    {%- set columns = raw_columns() -%}
    {%- if table not in columns -%}
        {{ exceptions.raise_compiler_error(
            "smoke_read_raw_table: " ~ (table | tojson) ~ " is not a raw table (" ~ columns.keys() | join(', ') ~ ")"
        ) }}
    {%- endif -%}
    {%- set relation = api.Relation.create(database=target.database, schema=raw_schema(), identifier=table) -%}
    {%- set counts = ['count(*) as rows_read'] -%}
    {%- for column in columns[table] -%}
        {%- do counts.append('count(' ~ adapter.quote(column) ~ ') as ' ~ adapter.quote('values_' ~ column)) -%}
    {%- endfor -%}
    {%- set counted = run_query('select ' ~ counts | join(', ') ~ ' from ' ~ relation) -%}
    {%- set first = run_query('select * from ' ~ relation ~ ' limit 1') -%}
    {%- set first_row = {} -%}
    {%- for row in first.rows -%}
        {%- for name in first.column_names -%}
            {%- do first_row.update({name: row[name] | string}) -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- set values = {} -%}
    {%- for column in columns[table] -%}
        {%- do values.update({column: counted.rows[0]['values_' ~ column] | int}) -%}
    {%- endfor -%}
    {{ log('smoke-read ' ~ tojson({
        'table': table,
        'relation': relation | string,
        'rows': counted.rows[0]['rows_read'] | int,
        'values': values,
        'first_row': first_row,
    }), info=true) }}
{%- endmacro %}
