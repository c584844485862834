{#-
    What an incremental run of int_events_daily_by_source counts again, decided before it runs:
    `{'full': true}` (every day: nothing tells what changed) or `{'full': false, 'recount_from':
    'YYYY-MM-DD'}` (the days from then on). `lookback_from` is the last counted day minus the
    lookback, the least a run recounts. Says what it decided and why in the log. The rules, and
    why they give what a full refresh gives, are in the model's description.
-#}
{% macro events_recount_plan(lookback_from) -%}
    {%- set stored = adapter.get_relation(
        database=this.database, schema=this.schema, identifier=events_fingerprint_relation().identifier
    ) -%}
    {%- if lookback_from is none -%}
        {%- set plan = {'full': true, 'reason': 'the table holds no day up to today'} -%}
    {%- elif stored is none -%}
        {%- set plan = {'full': true, 'reason': 'no fingerprint of the raw events is kept next to it'} -%}
    {%- else -%}
        {%- set plan = adapter.dispatch('events_recount_plan', 'customer_mart')(lookback_from, stored) -%}
    {%- endif -%}
    {%- if plan.full -%}
        {%- do log(this.identifier ~ ': counting every day again, ' ~ plan.reason ~ '.', info=true) -%}
    {%- else -%}
        {%- do log(
            this.identifier ~ ': counting again from ' ~ plan.recount_from ~ ' (last counted day minus the lookback: '
            ~ lookback_from ~ '); ' ~ plan.reason ~ '.', info=true
        ) -%}
    {%- endif -%}
    {{ return(plan) }}
{%- endmacro %}

{#- {part: [part_rows, part_signature]} of a fingerprint select. -#}
{% macro events_fingerprint_parts(sql) -%}
    {%- set parts = {} -%}
    {%- for row in run_query(sql).rows -%}
        {%- do parts.update({row[0] | string: [row[1] | int, row[2] | string]}) -%}
    {%- endfor -%}
    {{ return(parts) }}
{%- endmacro %}

{#- The earlier of two ISO dates, either possibly none. -#}
{% macro earlier_day(a, b) -%}
    {%- if a is none -%}{{ return(b) }}{%- elif b is none -%}{{ return(a) }}{%- endif -%}
    {{ return([a | string, b | string] | min) }}
{%- endmacro %}

{#-
    DuckDB: files seen before, unchanged (same path, size and modification time), and new
    files: only the new files' rows were added. Any seen file changed or gone (a re-export,
    another RAW_DATA_DIR or format, a removed file): full recount. Otherwise the run recounts
    from the earliest day where an event's counted copy changes: for each event id in the new
    files, its latest copy before (from the other files) and after; where they differ, both
    days. A copy identical to one already delivered changes nothing.
-#}
{% macro duckdb__events_recount_plan(lookback_from, stored) -%}
    {%- set before = events_fingerprint_parts('select * from ' ~ stored) -%}
    {%- set now = events_fingerprint_parts(events_fingerprint_sql()) -%}
    {%- set gone = [] -%}
    {%- for part, value in before.items() -%}
        {%- if part not in now or now[part] != value -%}{%- do gone.append(part) -%}{%- endif -%}
    {%- endfor -%}
    {%- if gone -%}
        {{ return({'full': true, 'reason': gone | length ~ ' raw events file(s) counted before changed or are gone, first '
            ~ (gone | sort | first) ~ ' (a re-export, another RAW_DATA_DIR or format, a removed file)'}) }}
    {%- endif -%}
    {%- set added = now.keys() | reject('in', before) | sort | list -%}
    {%- if not added -%}
        {{ return({'full': false, 'recount_from': lookback_from, 'reason': 'no new raw events file'}) }}
    {%- endif -%}
    {%- set others = now.keys() | reject('in', added) | sort | list -%}
    {#- The views over the raw files carry no file name: read the new files and the others apart. -#}
    {%- set new_files = raw_reader('events', files=added) -%}
    {%- set order = event_copy_order() -%}
    {%- set changes -%}
        with

        delivered as (
            {{ raw_events_for_counting('created_at is not null', relation=new_files) }}
        ),

        earlier as (
            {%- if others %}
            {{ raw_events_for_counting(
                'created_at is not null and cast(id as bigint) in (select delivered.event_id from delivered)',
                relation=raw_reader('events', files=others)
            ) }}
            {%- else %}
            select * from delivered where 1 = 0
            {%- endif %}
        ),

        every_copy as (
            select * from earlier
            union all
            select * from delivered
        ),

        counted_before as (
            {{ keep_one_per_key('earlier', 'event_id', order) }}
        ),

        counted_now as (
            {{ keep_one_per_key('every_copy', 'event_id', order) }}
        ),

        changed as (
            select
                cast(counted_now.created_at as date) as day_now,
                cast(counted_before.created_at as date) as day_before
            from counted_now
            left join counted_before on counted_now.event_id = counted_before.event_id
            where
                counted_before.event_id is null
                or counted_now.created_at <> counted_before.created_at
                or counted_now.user_id is distinct from counted_before.user_id
                or counted_now.traffic_source is distinct from counted_before.traffic_source
        )

        select
            cast(least(min(day_now), coalesce(min(day_before), min(day_now))) as varchar) as first_day,
            count(*) as events
        from changed
    {%- endset -%}
    {%- set row = run_query(changes).rows[0] -%}
    {%- set first_day = row[0] -%}
    {%- set recount_from = earlier_day(lookback_from, first_day) -%}
    {{ return({'full': false, 'recount_from': recount_from, 'reason': added | length ~ ' new raw events file(s), '
        ~ row[1] ~ ' event(s) in them change a counted copy'
        ~ (', the earliest on ' ~ first_day if first_day else '')}) }}
{%- endmacro %}

{#-
    Warehouses: the raw table is reloaded whole, so the stored per-day fingerprint is compared
    with today's. A day that lost rows or whose rows changed in number-preserving ways, or that
    is gone, may hide a removed copy: full recount. Otherwise rows were only added: the run
    recounts from the earliest day that gained rows (or the lookback), and further back to the
    latest earlier copy of any event that also has a copy from that day on.
-#}
{% macro default__events_recount_plan(lookback_from, stored) -%}
    {%- set before = events_fingerprint_parts('select * from ' ~ stored) -%}
    {%- set now = events_fingerprint_parts(events_fingerprint_sql()) -%}
    {%- set changed = [] -%}
    {%- set grown = [] -%}
    {%- for day, value in before.items() -%}
        {%- if day not in now or now[day][0] < value[0] or (now[day][0] == value[0] and now[day][1] != value[1]) -%}
            {%- do changed.append(day) -%}
        {%- elif now[day][0] > value[0] -%}
            {%- do grown.append(day) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if changed -%}
        {{ return({'full': true, 'reason': 'the raw events of ' ~ changed | length ~ ' day(s) counted before changed,'
            ~ ' first ' ~ (changed | sort | first) ~ ' (a re-export, corrected or removed events)'}) }}
    {%- endif -%}
    {%- for day in now.keys() -%}
        {%- if day not in before -%}{%- do grown.append(day) -%}{%- endif -%}
    {%- endfor -%}
    {%- set from_day = earlier_day(lookback_from, (grown | sort | first) if grown else none) -%}
    {%- set crossing = events_crossing_sql(from_day) -%}
    {%- set first_day = run_query(crossing).rows[0][0] -%}
    {{ return({'full': false, 'recount_from': earlier_day(from_day, first_day), 'reason': grown | length
        ~ ' day(s) gained raw events, the earliest ' ~ ((grown | sort | first) if grown else 'none')
        ~ (', and an event counted on ' ~ first_day ~ ' has a later copy' if first_day else '')}) }}
{%- endmacro %}

{#-
    Warehouses: the day of the latest copy before `from_day` of the events that also have a
    copy from `from_day` on (one row, NULL when none): the recount must start there.
-#}
{% macro events_crossing_sql(from_day) -%}
        with

        recent as (
            {{ raw_events_for_counting("created_at is not null") }}
        ),

        latest_before as (
            select
                event_id,
                max(created_at) as created_at
            from recent
            where
                created_at < cast('{{ from_day }}' as timestamp)
                and event_id in (
                    select later.event_id from recent as later
                    where later.created_at >= cast('{{ from_day }}' as timestamp)
                )
            group by event_id
        )

        select cast(cast(min(created_at) as date) as {{ type_text() }}) as first_day
        from latest_before
{%- endmacro %}
