{{ profile_raw_table(
    'distribution_centers',
    'id',
    row_checks={
        'without_valid_coordinates':
            'coalesce(cast(latitude as double precision) between -90 and 90, false)'
            ~ ' and coalesce(cast(longitude as double precision) between -180 and 180, false)',
    },
) }}
