{#- Engine-specific bodies of the generic test `timestamps_in_other_time_zones` (tests/generic/timestamps_in_other_time_zones.sql). -#}
{% macro default__test_timestamps_in_other_time_zones(model, column_name) %}
    select {{ column_name }} as written_with_offset
    from {{ model }}
    where 1 = 0
{% endmacro %}

{% macro duckdb__test_timestamps_in_other_time_zones(model, column_name) %}
    select {{ column_name }} as written_with_offset
    from {{ model }}
    where
        regexp_matches(
            trim(cast({{ column_name }} as varchar)), ':[0-9]{2}(\.[0-9]*)? ?[+-][0-9]{2}(:?[0-9]{2})?$'
        )
        and not regexp_matches(trim(cast({{ column_name }} as varchar)), '[+-]00(:?00)?$')
{% endmacro %}
