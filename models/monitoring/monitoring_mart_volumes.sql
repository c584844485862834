-- The run history of the mart: one row per build that wrote customer_features, appended, never
-- refreshed: the rows written and the share of customers at each profit level. A row here marks
-- the build as successful for the raw-table guard (monitoring_raw_table_volumes).
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    full_refresh=false,
) }}

{%- set settings = volume_guard_settings() %}

with

customer_features as (

    select * from {{ ref('customer_features') }}

),

counted as (

    select
        count(*) as rows_written,
        count(case when profit_level = 1 then 1 end) as level_1_rows,
        count(case when profit_level = 2 then 1 end) as level_2_rows,
        count(case when profit_level = 3 then 1 end) as level_3_rows
    from customer_features

),

{%- if is_incremental() %}

previous as (

    select
        run_started_at,
        as_of_date,
        profit_level_1_share,
        profit_level_2_share,
        profit_level_3_share
    from {{ this }}
    where run_started_at = (select max(run_started_at) from {{ this }})

),
{%- else %}

    previous as (

        select
            cast(null as timestamp) as run_started_at,
            cast(null as date) as as_of_date,
            cast(null as double precision) as profit_level_1_share,
            cast(null as double precision) as profit_level_2_share,
            cast(null as double precision) as profit_level_3_share
        where 1 = 0

    ),
{%- endif %}

final as (

    select
        {{ this_build_columns() }},
        cast(counted.rows_written as {{ dbt.type_bigint() }}) as rows_written,
        {%- for level in [1, 2, 3] %}
            cast(counted.level_{{ level }}_rows as double precision)
            / nullif(counted.rows_written, 0) as profit_level_{{ level }}_share,
        {%- endfor %}
        {%- for level in [1, 2, 3] %}
            previous.profit_level_{{ level }}_share as previous_profit_level_{{ level }}_share,
        {%- endfor %}
        previous.run_started_at as previous_run_started_at,
        previous.as_of_date as previous_as_of_date,
        cast({{ settings.max_profit_level_share_shift }} as double precision) as max_share_shift
    from counted
    left join previous
        on 1 = 1

)

select * from final
