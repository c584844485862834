-- The mart holds exactly one row per user of the population (doc `customer_population`),
-- recomputed here from staging rather than taken from the model that builds it.
{%- set window = feature_window() %}
{%- set population -%}
    (
        select user_id
        from {{ ref('stg_thelook__users') }}
        where created_at < cast('{{ window.end }}' as timestamp) or created_at is null
    ) as population
{%- endset %}

{{ test_one_row_per_key_of(ref('customer_features'), 'user_id', population, 'user_id') }}
