-- customer_features in one hand-written DuckDB statement, straight from the raw Parquet folders:
-- the lower bound the dbt project is measured against. Same rules as the mart (see the doc blocks
-- in models/marts/_marts__docs.md and models/staging/thelook/_thelook__docs.md).
-- Placeholders filled in by bench/single_query.py: $raw_dir, $window_start, $window_end,
-- $level_2_above_cents, $level_3_from_cents.
with

users as (
    select
        cast(id as bigint) as user_id,
        cast(age as integer) as age,
        nullif(trim(country), '') as country,
        nullif(trim(state), '') as state,
        case when latitude between -90 and 90 then latitude end as latitude,
        case when longitude between -180 and 180 then longitude end as longitude,
        nullif(trim(email), '') as email,
        timezone('UTC', cast(created_at as timestamptz)) as created_at
    from read_parquet('$raw_dir/users/*.parquet', union_by_name = true)
    where id is not null
),

latest_users as (
    select * from users
    qualify row_number() over (
        partition by user_id
        order by created_at desc nulls last, age, country, state, latitude, longitude, email
    ) = 1
),

customers as (
    select * from latest_users
    where created_at < timestamp '$window_end' or created_at is null
),

centers as (
    select
        cast(id as bigint) as dc_id,
        nullif(trim(name), '') as dc_name,
        case when latitude between -90 and 90 then latitude end as latitude,
        case when longitude between -180 and 180 then longitude end as longitude
    from read_parquet('$raw_dir/distribution_centers/*.parquet', union_by_name = true)
    where id is not null
),

latest_centers as (
    select * from centers
    qualify row_number() over (partition by dc_id order by dc_name, latitude, longitude) = 1
),

nearest as (
    select
        c.user_id,
        d.dc_id,
        d.dc_name,
        2 * 6371.0 * asin(sqrt(least(1.0,
            power(sin(radians(d.latitude - c.latitude) / 2), 2)
            + cos(radians(c.latitude)) * cos(radians(d.latitude))
            * power(sin(radians(d.longitude - c.longitude) / 2), 2)
        ))) as distance_km
    from customers as c
    cross join latest_centers as d
    where c.latitude is not null and c.longitude is not null
        and d.latitude is not null and d.longitude is not null
    qualify row_number() over (partition by c.user_id order by distance_km, d.dc_id) = 1
),

inventory as (
    select
        cast(id as bigint) as inventory_item_id,
        cast(product_id as bigint) as product_id,
        cost,
        timezone('UTC', cast(created_at as timestamptz)) as created_at,
        timezone('UTC', cast(sold_at as timestamptz)) as sold_at
    from read_parquet('$raw_dir/inventory_items/*.parquet', union_by_name = true)
    where id is not null
),

latest_inventory as (
    select inventory_item_id, cost from inventory
    qualify row_number() over (
        partition by inventory_item_id
        order by created_at desc nulls last, sold_at desc nulls last, cost, product_id
    ) = 1
),

items as (
    select
        cast(id as bigint) as order_item_id,
        cast(user_id as bigint) as user_id,
        cast(inventory_item_id as bigint) as inventory_item_id,
        case replace(lower(trim(status)), ' ', '')
            when 'complete' then 'Complete'
            when 'cancelled' then 'Cancelled'
            when 'returned' then 'Returned'
            when 'processing' then 'Processing'
            when 'shipped' then 'Shipped'
            else nullif(trim(status), '')
        end as status,
        case when sale_price >= 0 then sale_price end as sale_price,
        timezone('UTC', cast(created_at as timestamptz)) as created_at
    from read_parquet('$raw_dir/order_items/*.parquet', union_by_name = true)
    where id is not null
),

latest_items as (
    select * from items
    qualify row_number() over (
        partition by order_item_id
        order by created_at desc nulls last, user_id, status, sale_price, inventory_item_id
    ) = 1
),

purchases as (
    select
        i.user_id,
        count(*) as purchased,
        count(*) filter (where i.status = 'Returned') as returned,
        sum(cast(i.sale_price as decimal(18, 6))) filter (where i.status is distinct from 'Returned')
            as amount,
        sum(cast(i.sale_price as decimal(18, 6)) - cast(v.cost as decimal(18, 6)))
            filter (where i.status is distinct from 'Returned') as profit
    from latest_items as i
    left join latest_inventory as v on i.inventory_item_id = v.inventory_item_id
    where i.user_id is not null
        and i.created_at >= timestamp '$window_start' and i.created_at < timestamp '$window_end'
        and i.status is distinct from 'Cancelled'
    group by i.user_id
),

events as (
    select
        cast(id as bigint) as event_id,
        cast(user_id as bigint) as user_id,
        nullif(trim(traffic_source), '') as traffic_source,
        timezone('UTC', cast(created_at as timestamptz)) as created_at
    from read_parquet('$raw_dir/events/*.parquet', union_by_name = true)
    where id is not null
),

-- Session and sequence number would only break ties between copies that count the same.
latest_events as (
    select * from events
    qualify row_number() over (
        partition by event_id
        order by created_at desc nulls last, user_id, traffic_source
    ) = 1
),

sources as (
    select user_id, traffic_source
    from latest_events
    where user_id is not null and traffic_source is not null
        and created_at >= timestamp '$window_start' and created_at < timestamp '$window_end'
    group by user_id, traffic_source
    qualify row_number() over (partition by user_id order by count(*) desc, traffic_source) = 1
)

select
    c.user_id,
    c.age,
    c.country,
    c.state,
    n.dc_id as nearest_dc_id,
    n.dc_name as nearest_dc_name,
    cast(round(cast(n.distance_km as decimal(18, 9)), 3) as double) as nearest_dc_distance_km,
    cast(coalesce(p.purchased, 0) as integer) as purchased_items_last_year,
    cast(coalesce(p.returned, 0) as integer) as returned_items_last_year,
    cast(p.returned as double) / cast(nullif(p.purchased, 0) as double) as return_rate_last_year,
    cast(round(coalesce(p.amount, 0), 2) as decimal(12, 2)) as purchase_amount_last_year,
    case
        when cast(round(round(coalesce(p.amount, 0), 2) * 100) as bigint) <= $level_2_above_cents then 1
        when cast(round(round(coalesce(p.amount, 0), 2) * 100) as bigint) < $level_3_from_cents then 2
        else 3
    end as profit_level,
    cast(round(p.profit, 2) as decimal(12, 2)) as gross_profit_last_year,
    s.traffic_source as most_traffic_source,
    date '$window_start' as feature_window_start,
    date '$window_end' as feature_window_end
from customers as c
left join nearest as n on c.user_id = n.user_id
left join purchases as p on c.user_id = p.user_id
left join sources as s on c.user_id = s.user_id
