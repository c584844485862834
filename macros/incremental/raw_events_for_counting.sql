{#-
    The raw events with the rules of stg_thelook__events for the four columns that
    int_events_daily_by_source counts (same casts, clean_text, to_utc_timestamp), rows without an
    id left out. `condition` is added to the where clause as written (SQL built by the caller,
    never user input). `relation`: read these rows instead of the events source (DuckDB's recount
    plan passes a reader of some of the raw files).
-#}
{% macro raw_events_for_counting(condition=none, relation=none) -%}
    select
        cast(id as {{ dbt.type_bigint() }}) as event_id,
        cast(user_id as {{ dbt.type_bigint() }}) as user_id,
        {{ clean_text('traffic_source', 'events') }} as traffic_source,
        {{ to_utc_timestamp('created_at') }} as created_at
    from {{ relation if relation is not none else source('thelook', 'events') }}
    where
        id is not null
        {%- if condition %}
        and {{ condition }}
        {%- endif %}
{%- endmacro %}

{#-
    Which copy of an event counts, as an `order by` for keep_one_per_key: the latest `created_at`
    (a copy without one last), then the lower user id, then the first traffic source. The one
    statement of the rule for stg_thelook__events (which breaks the remaining ties on session and
    sequence number, columns the count does not read), the events model and its recount plan.
-#}
{% macro event_copy_order() -%}
    created_at desc nulls last, user_id, traffic_source
{%- endmacro %}
