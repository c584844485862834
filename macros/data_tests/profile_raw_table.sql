{#-
    The body of a raw-table profile model (models/staging/thelook/profiles/): every fault the
    warn-level checks count, computed in one pass over the raw table, so that the table is read
    once for all of them (on Redshift, one Spectrum scan instead of one per check).

    - table: the raw table, such as events;
    - key: its primary-key column;
    - row_checks: {column name: SQL condition}, each counting the raw rows where it holds;
    - owner: the user-id column whose staged value must name a known user (order_items, events),
      checked on the version staging keeps of each key, as the old relationships test did;
    - per_key: one row per staged key instead of one row, with the kept version's created_at
      (users: order items and events look up the known user ids here, and the mart's population
      check reads the sign-up times, instead of reading the raw users again);
    - per_file: one row per raw file instead of one row (events): its path and size (`"$path"`,
      `"$size"`, as Spectrum, the DuckDB raw views and `customer-mart load` name them) and
      `file_signature`, the sum of its rows' fingerprints, which changes when any row of the file
      does. stg_thelook__events takes its list of files, and what changed, from here.

    The pass: each raw row gets a fingerprint of its contract columns, and one window over the
    rows of each staged key, ordered as staging orders its versions (latest created_at first,
    then the lowest owner id) and then by fingerprint, so that exact copies sit side by side
    (the specification is written inline in each call: Redshift has no WINDOW clause).
    A row equal to the one before it is a duplicate copy; any other row after the first is a
    conflicting version; the first is the version staging keeps. One sort replaces the distinct
    counts and the ranking a check each would need.

    With a created_at column: newest_created_at, the latest raw created_at at or before
    as_of_date (rows after it are left out, so a rerun of an old week on today's files sees that
    week's data), which the freshness guard (models/monitoring/) compares with as_of_date; per
    key or per file, so read it with max() over the profile's rows.

    Counts over raw rows (every row, NULL keys included): rows_read, rows_with_null_key, each
    row check, and with_oversized_text (rows with a text value longer than its size in the raw
    contract). Over rows with a key: duplicate_rows, conflicting_versions. Over the kept version
    of each key: created_in_the_future and, with an owner, for_unknown_users. rows_cut_short: the
    CSV rows with fewer fields than the header (DuckDB reading CSV only: a strict second read).
-#}
{% macro profile_raw_table(table, key, row_checks={}, owner=none, per_key=false, per_file=false) -%}
{%- set raw = source('thelook', table) -%}
{%- set has_created_at = 'created_at' in raw_columns()[table] -%}
{%- set key_column = 'user_id' if table == 'users' else table ~ '_key' -%}
{#- Every profile also counts the rows with a text value longer than its size in the raw contract
    (raw_text_sizes, bytes of UTF-8), measured as clean_text measures it: staging sets it to NULL. -#}
{%- set text_fits = [] -%}
{%- for column, size in raw_text_sizes().get(table, {}).items() -%}
    {%- do text_fits.append(
        'coalesce(' ~ text_bytes('trim(cast(' ~ column ~ ' as ' ~ type_text() ~ '))') ~ ' <= ' ~ size ~ ', true)'
    ) -%}
{%- endfor -%}
{%- if text_fits -%}
    {%- set row_checks = dict(row_checks, with_oversized_text=text_fits | join(' and ')) -%}
{%- endif %}

with

source as (

    {#- Spectrum returns its pseudo-columns only when they are named in a select from the table. #}
    select
        *{% if per_file %},
        "$path" as raw_file,
        "$size" as file_size
        {%- endif %}
    from {{ raw }}

),

{%- if owner %}

known_users as (

    select user_id from {{ ref('profile_thelook__users') }}
    where user_id is not null

),
{%- endif %}

raw_rows as (

    select
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
        {%- if per_file %}
        raw_file,
        file_size,
        {%- endif %}
        cast({{ key }} as {{ dbt.type_bigint() }}) as staged_key
    from source

),

{#- Redshift's SELECT has no WINDOW clause: the specification is written inline, twice. #}
{%- set versions = 'partition by staged_key order by created_at desc nulls last'
    ~ (', owner_id asc nulls last' if owner else '') ~ ', row_fingerprint' %}

-- Each key's rows in staging's order of versions; exact copies side by side.
ranked as (

    select
        raw_rows.*,
        row_number() over ({{ versions }}) as version_rank,
        case when row_fingerprint = lag(row_fingerprint) over ({{ versions }}) then 1 else 0 end as is_copy
    from raw_rows

),

rows_checked as (

    select
        ranked.*,
        case when ranked.staged_key is not null and ranked.is_copy = 1 then 1 else 0 end as duplicate_row,
        case
            when ranked.staged_key is not null and ranked.version_rank > 1 and ranked.is_copy = 0 then 1
            else 0
        end as conflicting_version,
        case
            when ranked.staged_key is not null and ranked.version_rank = 1
                and ranked.created_at > {{ utc_now() }} then 1
            else 0
        end as kept_in_the_future
        {%- if owner %},
        case
            when
                ranked.version_rank = 1 and ranked.staged_key is not null
                and ranked.owner_id is not null and known_users.user_id is null
                then 1
            else 0
        end as for_unknown_users
        {%- endif %}
    from ranked
    {%- if owner %}
    left join known_users
        on ranked.owner_id = known_users.user_id
    {%- endif %}

),

{%- set counts = {
    'rows_read': 'count(*)',
    'rows_with_null_key': 'count(*) - count(staged_key)',
    'duplicate_rows': 'coalesce(sum(duplicate_row), 0)',
} -%}
{%- for name in row_checks -%}
    {%- do counts.update({name: 'coalesce(sum(' ~ name ~ '), 0)'}) -%}
{%- endfor -%}
{%- if owner -%}
    {%- do counts.update({'for_unknown_users': 'coalesce(sum(for_unknown_users), 0)'}) -%}
{%- endif -%}
{%- if has_created_at -%}
    {#- Staging keeps each key's latest created_at: a key is in the future when that version is. -#}
    {%- do counts.update({'created_in_the_future': 'coalesce(sum(kept_in_the_future), 0)'}) -%}
{%- endif -%}
{%- do counts.update({'conflicting_versions': 'coalesce(sum(conflicting_version), 0)'}) %}
{#- Not a count: the latest time, NULL in the row of the rows cut short. -#}
{%- set newest = {} -%}
{%- if has_created_at -%}
    {%- do newest.update({'newest_created_at':
        "max(case when created_at <= cast('" ~ feature_window().end ~ "' as timestamp) then created_at end)"}) -%}
{%- endif %}

profile as (

    select
        {%- if per_key %}
        staged_key as {{ key_column }},
        -- The kept version's time: the latest (staging's first order column).
        max(created_at) as created_at,
        {%- endif %}
        {%- if per_file %}
        cast(raw_file as {{ type_raw_file() }}) as raw_file,
        max(file_size) as file_size,
        {{ fingerprint_sum('row_fingerprint') }} as file_signature,
        {%- endif %}
        {%- for name, aggregate in newest.items() %}
        {{ aggregate }} as {{ name }},
        {%- endfor %}
        {%- for name, aggregate in counts.items() %}
        {{ aggregate }} as {{ name }}{{ ',' if not loop.last }}
        {%- endfor %}
    from rows_checked
    {%- if per_key %}
    group by staged_key
    {%- elif per_file %}
    group by raw_file
    {%- endif %}

),

cut_short as (

    select count(*) as rows_cut_short
    from (
        {#- In a unit test the source is a fixture (a CTE of another name): no files to read again. #}
        {%- if raw.identifier == table %}
        {{ adapter.dispatch('test_rows_cut_short', 'customer_mart')(raw) }}
        {%- else %}
        {{ default__test_rows_cut_short(raw) }}
        {%- endif %}
    ) as short_rows

),

final as (

    {%- if per_key or per_file %}

    select
        profile.*,
        0 as rows_cut_short
    from profile

    union all

    -- The rows cut short belong to no key or file: one row of their own, every other count 0.
    select
        {%- if per_key %}
        cast(null as {{ dbt.type_bigint() }}) as {{ key_column }},
        cast(null as timestamp) as created_at,
        {%- else %}
        cast(null as {{ type_raw_file() }}) as raw_file,
        cast(null as {{ dbt.type_bigint() }}) as file_size,
        cast(null as {{ type_fingerprint_sum() }}) as file_signature,
        {%- endif %}
        {%- for name in newest %}
        cast(null as timestamp) as {{ name }},
        {%- endfor %}
        {%- for name in counts %}
        0 as {{ name }},
        {%- endfor %}
        cut_short.rows_cut_short
    from cut_short
    {%- else %}

    select
        profile.*,
        cut_short.rows_cut_short
    from profile
    cross join cut_short
    {%- endif %}

)

select * from final
{%- endmacro %}
