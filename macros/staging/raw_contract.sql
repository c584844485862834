{#-
    The raw data contract: generated from models/staging/thelook/_thelook__sources.yml (the
    `data_type` of each column) by `make contract` (scripts/raw_contract.py). Do not edit: change
    the YAML and regenerate; tests/python/test_raw_contract.py fails while the two differ.
    {table: [(column, data_type)]}, in the files' order; data_type bigint, double, timestamp or
    varchar(n) (text of at most n bytes of UTF-8). Not read from dbt's graph: a unit test compiles
    its model without the sources in it.
-#}
{% macro raw_contract() -%}
    {{ return({
        'users': [('id', 'bigint'), ('first_name', 'varchar(128)'), ('last_name', 'varchar(128)'), ('email', 'varchar(256)'), ('age', 'bigint'), ('gender', 'varchar(16)'), ('state', 'varchar(256)'), ('street_address', 'varchar(256)'), ('postal_code', 'varchar(32)'), ('city', 'varchar(256)'), ('country', 'varchar(256)'), ('latitude', 'double'), ('longitude', 'double'), ('traffic_source', 'varchar(64)'), ('created_at', 'timestamp')],
        'orders': [('order_id', 'bigint'), ('user_id', 'bigint'), ('status', 'varchar(32)'), ('gender', 'varchar(16)'), ('created_at', 'timestamp'), ('returned_at', 'timestamp'), ('shipped_at', 'timestamp'), ('delivered_at', 'timestamp'), ('num_of_item', 'bigint')],
        'order_items': [('id', 'bigint'), ('order_id', 'bigint'), ('user_id', 'bigint'), ('product_id', 'bigint'), ('inventory_item_id', 'bigint'), ('status', 'varchar(32)'), ('created_at', 'timestamp'), ('shipped_at', 'timestamp'), ('delivered_at', 'timestamp'), ('returned_at', 'timestamp'), ('sale_price', 'double')],
        'events': [('id', 'bigint'), ('user_id', 'bigint'), ('sequence_number', 'bigint'), ('session_id', 'varchar(36)'), ('created_at', 'timestamp'), ('ip_address', 'varchar(45)'), ('city', 'varchar(256)'), ('state', 'varchar(256)'), ('postal_code', 'varchar(32)'), ('browser', 'varchar(64)'), ('traffic_source', 'varchar(64)'), ('uri', 'varchar(2048)'), ('event_type', 'varchar(32)')],
        'products': [('id', 'bigint'), ('cost', 'double'), ('category', 'varchar(128)'), ('name', 'varchar(512)'), ('brand', 'varchar(256)'), ('retail_price', 'double'), ('department', 'varchar(32)'), ('sku', 'varchar(32)'), ('distribution_center_id', 'bigint')],
        'inventory_items': [('id', 'bigint'), ('product_id', 'bigint'), ('created_at', 'timestamp'), ('sold_at', 'timestamp'), ('cost', 'double'), ('product_category', 'varchar(128)'), ('product_name', 'varchar(512)'), ('product_brand', 'varchar(256)'), ('product_retail_price', 'double'), ('product_department', 'varchar(32)'), ('product_sku', 'varchar(32)'), ('product_distribution_center_id', 'bigint')],
        'distribution_centers': [('id', 'bigint'), ('name', 'varchar(256)'), ('latitude', 'double'), ('longitude', 'double')],
    }) }}
{%- endmacro %}
