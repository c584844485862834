{#-
    The model holds exactly one row for each key of `population`, and no other key:
    fails on each key missing, extra or repeated.
-#}
{% test one_row_per_key_of(model, column_name, population, population_key) %}

with

expected as (

    select distinct {{ population_key }} as key_value
    from {{ population }}

),

actual as (

    select
        {{ column_name }} as key_value,
        count(*) as row_count
    from {{ model }}
    group by {{ column_name }}

),

compared as (

    select
        coalesce(expected.key_value, actual.key_value) as key_value,
        case
            when actual.row_count is null then 'missing'
            when expected.key_value is null then 'not in population'
            when actual.row_count > 1 then 'repeated'
        end as problem
    from expected
    full outer join actual
        on expected.key_value = actual.key_value

)

select * from compared
where problem is not null

{% endtest %}
