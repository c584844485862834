{#-
    Keys that come with different contents: one row per version beyond the first. Staging keeps
    one (users: the latest created_at) and drops the others. Columns from `raw_columns`.
-#}
{% test conflicting_versions(model, column_name) %}

{%- set columns = raw_columns()[model.identifier] %}

with

versions as (

    select distinct {{ columns | join(', ') }}
    from {{ model }}
    where {{ column_name }} is not null

),

numbered as (

    select
        {{ column_name }} as key_value,
        row_number() over (partition by {{ column_name }} order by {{ column_name }}) as version_number
    from versions

)

select key_value
from numbered
where version_number > 1

{% endtest %}
