-- Error: a customer's purchase amount or gross profit over the feature window, rounded to the
-- cent, is 10 billion dollars or more in size, more than customer_features' numeric(12,2) holds
-- (int_customers_profit_level leaves those amounts NULL rather than fail on a bare cast). Each
-- price is checked on its own in staging (warn_order_items_with_out_of_range_sale_price), so
-- this takes many huge prices at once. The build stops before customer_features is replaced;
-- the error names the customers and, for each, the largest price in the window: its order item,
-- raw table and column, and on DuckDB its file.
{%- set faults %}
    select
        order_items.user_id,
        order_items.order_item_id,
        order_items.sale_price,
        order_items.cost
    from {{ ref('int_customers_profit_level') }} as amounts
    inner join {{ ref('int_order_items_in_window') }} as order_items
        on amounts.user_id = order_items.user_id
    where amounts.has_amount_beyond_the_mart
{%- endset %}

{%- if execute and flags.WHICH in ['build', 'test'] %}
    {%- set largest = {} %}
    {%- for fault in run_query(faults).rows %}
        {%- set size = [(fault[2] or 0) | abs, (fault[3] or 0) | abs] | max %}
        {%- if fault[0] not in largest or size > largest[fault[0]][0] %}
            {%- do largest.update({fault[0]: [size, fault[1], fault[2], fault[3]]}) %}
        {%- endif %}
    {%- endfor %}
    {%- if largest %}
        {%- set lines = [] %}
        {%- for user_id in (largest | list | sort)[:5] %}
            {%- set item = largest[user_id] %}
            {%- set file = none %}
            {%- if target.type == 'duckdb' %}
                {%- set file = run_query(
                    "select min(filename) from " ~ raw_reader('order_items', with_filename=true)
                    ~ " where try_cast(id as bigint) = " ~ item[1]
                ).columns[0].values()[0] %}
            {%- endif %}
            {%- do lines.append(
                "customer " ~ user_id ~ ": purchase amount or gross profit of 10 billion dollars or more;"
                ~ " its largest in the window is order item " ~ item[1] ~ " (raw table order_items, column sale_price "
                ~ item[2] ~ ", its stock unit's cost " ~ item[3] ~ " in inventory_items"
                ~ (", file " ~ file if file else "") ~ ")"
            ) %}
        {%- endfor %}
        {{ exceptions.raise_compiler_error(
            lines | join("\n") ~ (("\nand " ~ (largest | length - 5) ~ " more customers") if largest | length > 5 else "")
            ~ "\ncustomer_features holds amounts as numeric(12,2), at most 9,999,999,999.99, so the build stops"
            ~ " before it is replaced (the previous mart and the snapshot stay). Correct the prices or costs in the"
            ~ " export and rerun."
        ) }}
    {%- endif %}
{%- endif %}

{{ faults }}
