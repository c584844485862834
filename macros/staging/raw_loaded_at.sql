{#-
    Source freshness: the latest `column` of the raw table being checked, in UTC. Values after
    now are left out: one timestamp in the future must not make a stale table look fresh.
-#}
{% macro raw_loaded_at(column) -%}
    select max(loaded_at)
    from (
        select {{ to_utc_timestamp(column) }} as loaded_at
        from {{ this }}
    ) as raw_rows
    where loaded_at <= {{ utc_now() }}
{%- endmacro %}
