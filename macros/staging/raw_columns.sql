{#-
    The columns every raw file of each table must have: the raw data contract of
    src/customer_mart/schema.py, which is the statement of record (a pytest keeps the two equal).
    Extra columns, such as BigQuery's geography columns, are allowed.
-#}
{% macro raw_columns() -%}
    {{ return({
        'users': [
            'id', 'first_name', 'last_name', 'email', 'age', 'gender', 'state', 'street_address',
            'postal_code', 'city', 'country', 'latitude', 'longitude', 'traffic_source', 'created_at',
        ],
        'orders': [
            'order_id', 'user_id', 'status', 'gender', 'created_at', 'returned_at', 'shipped_at',
            'delivered_at', 'num_of_item',
        ],
        'order_items': [
            'id', 'order_id', 'user_id', 'product_id', 'inventory_item_id', 'status', 'created_at',
            'shipped_at', 'delivered_at', 'returned_at', 'sale_price',
        ],
        'events': [
            'id', 'user_id', 'sequence_number', 'session_id', 'created_at', 'ip_address', 'city',
            'state', 'postal_code', 'browser', 'traffic_source', 'uri', 'event_type',
        ],
        'products': [
            'id', 'cost', 'category', 'name', 'brand', 'retail_price', 'department', 'sku',
            'distribution_center_id',
        ],
        'inventory_items': [
            'id', 'product_id', 'created_at', 'sold_at', 'cost', 'product_category', 'product_name',
            'product_brand', 'product_retail_price', 'product_department', 'product_sku',
            'product_distribution_center_id',
        ],
        'distribution_centers': ['id', 'name', 'latitude', 'longitude'],
    }) }}
{%- endmacro %}
