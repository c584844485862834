{#-
    The typed columns of the raw contract (src/customer_mart/schema.py, the statement of record;
    a pytest keeps the two equal): per table, each column that is not text and its kind,
    `integer` (INT64), `number` (FLOAT64) or `timestamp` (TIMESTAMP). `check_raw_types` holds
    every raw file to these.
-#}
{% macro raw_column_types() -%}
    {{ return({
        'users': {'id': 'integer', 'age': 'integer', 'latitude': 'number', 'longitude': 'number', 'created_at': 'timestamp'},
        'orders': {'order_id': 'integer', 'user_id': 'integer', 'created_at': 'timestamp', 'returned_at': 'timestamp', 'shipped_at': 'timestamp', 'delivered_at': 'timestamp', 'num_of_item': 'integer'},
        'order_items': {'id': 'integer', 'order_id': 'integer', 'user_id': 'integer', 'product_id': 'integer', 'inventory_item_id': 'integer', 'created_at': 'timestamp', 'shipped_at': 'timestamp', 'delivered_at': 'timestamp', 'returned_at': 'timestamp', 'sale_price': 'number'},
        'events': {'id': 'integer', 'user_id': 'integer', 'sequence_number': 'integer', 'created_at': 'timestamp'},
        'products': {'id': 'integer', 'cost': 'number', 'retail_price': 'number', 'distribution_center_id': 'integer'},
        'inventory_items': {'id': 'integer', 'product_id': 'integer', 'created_at': 'timestamp', 'sold_at': 'timestamp', 'cost': 'number', 'product_retail_price': 'number', 'product_distribution_center_id': 'integer'},
        'distribution_centers': {'id': 'integer', 'latitude': 'number', 'longitude': 'number'},
    }) }}
{%- endmacro %}
