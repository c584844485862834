{{ profile_raw_table('inventory_items', 'id') }}
