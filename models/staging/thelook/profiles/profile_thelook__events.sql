-- One row per raw events file: stg_thelook__events takes its list of files, and the signature
-- that tells which changed, from this one full read of the raw events.
{{ profile_raw_table(
    'events',
    'id',
    row_checks={
        'without_created_at': 'created_at is not null',
        'created_at_in_other_time_zones': 'coalesce(not ' ~ written_with_other_offset('created_at', 'events') ~ ', true)',
    },
    owner='user_id',
    per_file=true,
) }}
