-- The mart's guard (warn): the share of customers at a profit level moved by more than
-- `max_profit_level_share_shift` (default in dbt_project.yml) since the last build. For a
-- deliberate change, rerun with --vars '{max_profit_level_share_shift: 1}'.
{{ config(severity='warn') }}

-- noqa: disable=LT02
-- (sqlfluff cannot place the indent of SQL built in a Jinja set block's loop)
{%- set faults %}
    {%- for level in [1, 2, 3] %}
    select
        {{ level }} as profit_level,
        profit_level_{{ level }}_share as share,
        previous_profit_level_{{ level }}_share as previous_share,
        previous_as_of_date,
        max_share_shift
    from {{ ref('monitoring_mart_volumes') }}
    where
        invocation_id = '{{ invocation_id }}'
        and abs(profit_level_{{ level }}_share - previous_profit_level_{{ level }}_share) > max_share_shift
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
{%- endset %}
-- noqa: enable=LT02

{%- if execute and flags.WHICH in ['build', 'test'] %}
    {%- for fault in run_query(faults) %}
        {{ log(
            "customer_features: profit level " ~ fault[0] ~ " holds " ~ fault[1] ~ " of the customers,"
            ~ " against " ~ fault[2] ~ " in the last build (as_of_date " ~ fault[3] ~ "). If the change"
            ~ " is deliberate, rerun with " ~ rerun_vars({'max_profit_level_share_shift': 1}) ~ " (now " ~ fault[4] ~ ").",
            info=True
        ) }}
    {%- endfor %}
{%- endif %}

{{ faults }}
