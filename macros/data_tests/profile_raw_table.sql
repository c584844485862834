{#-
    The body of a raw-table profile model (models/staging/thelook/profiles/): every fault the
    warn-level checks count, computed in one aggregate pass over the raw table, so that the
    table is read once for all of them (on Redshift, one Spectrum scan instead of one per check).

    - table: the raw table, such as events;
    - key: its primary-key column;
    - row_checks: {column name: SQL condition}, each counting the raw rows where it holds;
    - owner: the user-id column whose staged value must name a known user (order_items, events),
      checked on the version staging keeps of each key, as the old relationships test did;
    - per_key: one row per staged key instead of one row (users: order items and events look up
      the known user ids here instead of reading the raw users again).

    Counts over raw rows (every row, NULL keys included): rows_read, rows_with_null_key, and each
    row check. Over rows with a key: duplicate_rows (copies beyond the first of a row, every
    contract column equal), conflicting_versions (versions of a key beyond the first). Over the
    rows staging keeps, one per key (the latest created_at, see `staging_rules`):
    created_in_the_future and, with an owner, for_unknown_users. rows_cut_short: the CSV rows with
    fewer fields than the header (DuckDB reading CSV only: a strict second read of the files).
-#}
{% macro profile_raw_table(table, key, row_checks={}, owner=none, per_key=false) -%}
{%- set raw = source('thelook', table) -%}
{%- set has_created_at = 'created_at' in raw_columns()[table] %}

with

source as (

    select * from {{ raw }}

),

{%- if owner %}

known_users as (

    select user_id from {{ ref('profile_thelook__users') }}
    where user_id is not null

),
{%- endif %}

raw_rows as (

    select
        {{ key }} as raw_key,
        {{ row_fingerprint(raw_columns()[table]) }} as row_fingerprint,
        {%- for name, condition in row_checks.items() %}
        case when not coalesce({{ condition }}, false) then 1 else 0 end as {{ name }},
        {%- endfor %}
        {%- if owner %}
        cast({{ owner }} as {{ dbt.type_bigint() }}) as owner_id,
        {%- endif %}
        {%- if has_created_at %}
        {{ to_utc_timestamp('created_at') }} as created_at,
        {%- else %}
        cast(null as timestamp) as created_at,
        {%- endif %}
        cast({{ key }} as {{ dbt.type_bigint() }}) as staged_key
    from source

),

{%- if owner %}

-- The version of each key that staging keeps: latest created_at first, then the lowest user id.
ranked as (

    select
        raw_rows.*,
        row_number() over (
            partition by staged_key order by created_at desc nulls last, owner_id asc nulls last
        ) as version_rank
    from raw_rows

),

rows_checked as (

    select
        ranked.*,
        case
            when
                ranked.version_rank = 1 and ranked.staged_key is not null
                and ranked.owner_id is not null and known_users.user_id is null
                then 1
            else 0
        end as for_unknown_users
    from ranked
    left join known_users
        on ranked.owner_id = known_users.user_id

),
{%- else %}

rows_checked as (

    select * from raw_rows

),
{%- endif %}

profile as (

    select
        {%- if per_key %}
        staged_key as {{ 'user_id' if table == 'users' else table ~ '_key' }},
        {%- endif %}
        count(*) as rows_read,
        count(*) - count(raw_key) as rows_with_null_key,
        count(raw_key)
        - count(distinct case when raw_key is not null then row_fingerprint end) as duplicate_rows,
        {%- for name in row_checks %}
        coalesce(sum({{ name }}), 0) as {{ name }},
        {%- endfor %}
        {%- if owner %}
        coalesce(sum(for_unknown_users), 0) as for_unknown_users,
        {%- endif %}
        {%- if has_created_at %}
        {#- Staging keeps each key's latest created_at: a key is in the future when any row is. #}
        count(distinct case when created_at > {{ utc_now() }} then staged_key end) as created_in_the_future,
        {%- endif %}
        count(distinct case when raw_key is not null then row_fingerprint end)
        - count(distinct raw_key) as conflicting_versions
    from rows_checked
    {%- if per_key %}
    group by staged_key
    {%- endif %}

),

cut_short as (

    select count(*) as rows_cut_short
    from (
        {{ adapter.dispatch('test_rows_cut_short', 'customer_mart')(raw) }}
    ) as short_rows

),

final as (

    select
        profile.*,
        {%- if per_key %}
        -- Counted once, on the row of the NULL key (or the first key when none is NULL).
        case
            when row_number() over (order by profile.{{ 'user_id' if table == 'users' else table ~ '_key' }} nulls first) = 1
                then cut_short.rows_cut_short
            else 0
        end as rows_cut_short
        {%- else %}
        cut_short.rows_cut_short
        {%- endif %}
    from profile
    cross join cut_short

)

select * from final
{%- endmacro %}
