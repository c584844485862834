{{ profile_raw_table('products', 'id') }}
