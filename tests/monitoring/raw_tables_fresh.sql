-- The freshness guard (error): a raw table with a time column (users, orders, order_items,
-- events, inventory_items) whose newest row at or before as_of_date is more than
-- `max_raw_table_age_days` (default 7) days older than as_of_date: the week's export is missing.
-- Measured against as_of_date, not the clock, from the profiles (no extra scan of the raw
-- tables). customer_features depends on the run history, so the build stops before the mart is
-- replaced and the snapshot is not taken; the error names the table, its newest row, the limit
-- and the exact --vars of a rerun that accepts the data as it is.
{#- The oldest newest row allowed, from the settings in force (the history's max_age_days is theirs):
    written as a literal, the same SQL on every engine. -#}
{%- set max_age_days = max_raw_table_age_days() %}
{%- set cutoff = modules.datetime.date.fromisoformat(feature_window().end)
    - modules.datetime.timedelta(days=max_age_days or 0) %}
{%- set faults %}
    select
        table_name,
        as_of_date,
        newest_row_at,
        max_age_days
    from {{ ref('monitoring_raw_table_volumes') }}
    where
        invocation_id = '{{ invocation_id }}'
        and max_age_days is not null
        -- An empty table is the volume guard's (raw_tables_not_empty_or_shrunk).
        and rows_read > 0
        and (
            newest_row_at is null
            or newest_row_at < cast('{{ cutoff.isoformat() }}' as timestamp)
        )
{%- endset %}

{%- if execute and flags.WHICH in ['build', 'test'] %}
    {%- set found = run_query(faults) %}
    {%- if found.rows | length > 0 %}
        {%- set lines = [] %}
        {%- set ns = namespace(days=0, before_data=false) %}
        {%- for fault in found.rows | sort(attribute='0') %}
            {%- if fault[2] is none %}
                {%- set ns.before_data = true %}
                {%- do lines.append(
                    "raw table " ~ fault[0] ~ ": no row with a created_at at or before as_of_date " ~ fault[1]
                    ~ " (its rows are later, or have no created_at): check as_of_date, or export the table with its times"
                ) %}
            {%- else %}
                {%- set as_of = modules.datetime.datetime.combine(fault[1], modules.datetime.time()) %}
                {%- set age = (as_of - fault[2]).total_seconds() / 86400 %}
                {%- set ns.days = [ns.days, age | round(0, 'ceil') | int] | max %}
                {%- do lines.append(
                    "raw table " ~ fault[0] ~ ": newest row " ~ (fault[2] | string)[:19] ~ " UTC (at or before as_of_date "
                    ~ fault[1] ~ ") is " ~ (age | round(1)) ~ " days old, more than max_raw_table_age_days ("
                    ~ fault[3] ~ ") allows"
                ) %}
            {%- endif %}
        {%- endfor %}
        {#- The smallest limit that accepts every table found; none takes a table without a dated row. -#}
        {%- set limit = 'off' if ns.before_data else ns.days %}
        {{ exceptions.raise_compiler_error(
            lines | join("\n") ~ "\nThe week's export looks missing, so the build stops before customer_features"
            ~ " is replaced (the previous mart and the snapshot stay). Upload the export and rerun, or, to build on"
            ~ " these files as they are, rerun with " ~ rerun_vars({'max_raw_table_age_days': limit}) ~ "."
        ) }}
    {%- endif %}
{%- endif %}

{{ faults }}
