-- The mart holds exactly one row per user of the population (doc `customer_population`),
-- recomputed here from the raw users' profile (one row per staged user id, with the kept
-- record's sign-up time) rather than taken from the models that build the mart; it also spares
-- the raw users a third read.
{%- set window = feature_window() %}
{%- set population -%}
    (
        select user_id
        from {{ ref('profile_thelook__users') }}
        where
            user_id is not null
            and (created_at < cast('{{ window.end }}' as timestamp) or created_at is null)
    ) as population
{%- endset %}

{{ test_one_row_per_key_of(ref('customer_features'), 'user_id', population, 'user_id') }}
