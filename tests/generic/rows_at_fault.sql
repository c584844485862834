{#-
    Reads a count of rows at fault from a profile (a model that counted them in one pass): fails
    with that count, so that `WARN <n>` says how many rows are at fault, as a test returning one
    row per faulty row would. Profiles with one row per key are summed.
-#}
{% test rows_at_fault(model, column_name) %}
{{ config(fail_calc='coalesce(sum(rows_at_fault), 0)') }}

select {{ column_name }} as rows_at_fault
from {{ model }}
where {{ column_name }} > 0

{% endtest %}
