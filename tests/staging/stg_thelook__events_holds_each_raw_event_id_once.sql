-- One row per event id of the raw events, none lost, none twice: stg_thelook__events holds as many
-- rows as the events profile counted distinct ids in the same run's raw files (rows with an id,
-- less exact copies and other versions). Counts instead of grouping 24 million ids each week.

with

staged as (

    select count(*) as staged_events
    from {{ ref('stg_thelook__events') }}

),

profiled as (

    select sum(rows_read - rows_with_null_key - duplicate_rows - conflicting_versions) as raw_event_ids
    from {{ ref('profile_thelook__events') }}

),

final as (

    select
        staged.staged_events,
        profiled.raw_event_ids
    from staged
    cross join profiled
    where staged.staged_events <> coalesce(profiled.raw_event_ids, 0)

)

select * from final
