-- The volume guard (error): a raw table read empty, or with fewer rows than the last successful
-- build read by more than the share `max_raw_table_shrink` (default in dbt_project.yml), stops the build before
-- customer_features is replaced. The error names each table and both counts, and the exact
-- --vars of a rerun for a deliberate change, such as --vars '{max_raw_table_shrink: 1}'
-- (1 also lets a table be empty).
{%- set faults %}
    select
        table_name,
        rows_read,
        previous_rows_read,
        previous_as_of_date,
        max_shrink
    from {{ ref('monitoring_raw_table_volumes') }}
    where
        invocation_id = '{{ invocation_id }}'
        and (
            (rows_read = 0 and max_shrink < 1)
            or rows_read < previous_rows_read * (1 - max_shrink)
        )
{%- endset %}

{%- if execute and flags.WHICH in ['build', 'test'] %}
    {%- set found = run_query(faults) %}
    {%- if found.rows | length > 0 %}
        {%- set lines = [] %}
        {%- for fault in found.rows | sort(attribute='0') %}
            {%- do lines.append(
                "raw table " ~ fault[0] ~ ": " ~ fault[1] ~ " rows read"
                ~ (", the last successful build (as_of_date " ~ fault[3] ~ ") read " ~ fault[2]
                    if fault[2] is not none else "")
                ~ " (max_raw_table_shrink " ~ fault[4] ~ ")"
            ) %}
        {%- endfor %}
        {{ exceptions.raise_compiler_error(
            lines | join("\n") ~ "\nThe build stops before customer_features is replaced (the previous mart"
            ~ " and the snapshot stay). If the change is deliberate, rerun with "
            ~ rerun_vars({'max_raw_table_shrink': 1}) ~ "."
        ) }}
    {%- endif %}
{%- endif %}

{{ faults }}
