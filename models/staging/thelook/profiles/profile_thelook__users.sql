-- One row per user id: order items and events check their user ids against it.
{{ profile_raw_table(
    'users',
    'id',
    row_checks={
        'without_created_at': 'created_at is not null',
        'created_at_in_other_time_zones': 'coalesce(not ' ~ written_with_other_offset('created_at', 'users') ~ ', true)',
        'without_coordinates': 'latitude is not null and longitude is not null',
        'with_out_of_range_coordinates':
            'coalesce(cast(latitude as double precision) between -90 and 90, true)'
            ~ ' and coalesce(cast(longitude as double precision) between -180 and 180, true)',
    },
    per_key=true,
) }}
