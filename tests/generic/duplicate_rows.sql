{#-
    Raw rows that repeat another row of the same key exactly, every column equal: one row per
    extra copy. Staging keeps one; nothing is double-counted. Columns from `raw_columns`.
-#}
{% test duplicate_rows(model, column_name) %}

{%- set columns = raw_columns()[model.identifier] %}

with

numbered as (

    select
        {{ column_name }} as key_value,
        row_number() over (partition by {{ columns | join(', ') }} order by {{ column_name }}) as copy_number
    from {{ model }}
    where {{ column_name }} is not null

)

select key_value
from numbered
where copy_number > 1

{% endtest %}
