{%- set statuses = order_statuses_sql() -%}
{{ profile_raw_table(
    'order_items',
    'id',
    row_checks={
        'without_user': 'user_id is not null',
        'without_created_at': 'created_at is not null',
        'created_at_in_other_time_zones': 'coalesce(not ' ~ written_with_other_offset('created_at', 'order_items') ~ ', true)',
        'with_unknown_status': normalize_status('status') ~ ' in ' ~ statuses,
        'with_status_in_other_spelling':
            'status is null or status in ' ~ statuses
            ~ ' or ' ~ normalize_status('status') ~ ' not in ' ~ statuses,
        'without_sale_price': 'sale_price is not null',
        'with_negative_sale_price':
            'coalesce(cast(sale_price as double precision) >= 0 or not ' ~ amount_in_range('sale_price') ~ ', true)',
        'with_out_of_range_sale_price': 'coalesce(' ~ amount_in_range('sale_price') ~ ', true)',
    },
    owner='user_id',
) }}
