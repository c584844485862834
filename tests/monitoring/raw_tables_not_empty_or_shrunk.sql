-- The volume guard (error): a raw table read empty, or with fewer rows than the last successful
-- build read by more than the share `max_raw_table_shrink` (default in dbt_project.yml), stops the build before
-- customer_features is replaced. For a deliberate change, rerun with a larger share, such as
-- --vars '{max_raw_table_shrink: 1}' (1 also lets a table be empty).
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
    {%- for fault in run_query(faults) %}
        {{ log(
            "raw table " ~ fault[0] ~ ": " ~ fault[1] ~ " rows read"
            ~ (", the last successful build (as_of_date " ~ fault[3] ~ ") read " ~ fault[2]
                if fault[2] is not none else "")
            ~ "; the build stops before customer_features is replaced. If the change is deliberate,"
            ~ " rerun with --vars '{max_raw_table_shrink: 1}' (now " ~ fault[4] ~ ").",
            info=True
        ) }}
    {%- endfor %}
{%- endif %}

{{ faults }}
