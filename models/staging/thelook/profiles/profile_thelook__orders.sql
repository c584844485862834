{{ profile_raw_table('orders', 'order_id') }}
