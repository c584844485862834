{{ profile_raw_table(
    'inventory_items',
    'id',
    row_checks={
        'with_out_of_range_cost': 'coalesce(' ~ amount_in_range('cost') ~ ', true)',
    },
) }}
