{#- Dollars to whole cents, so that thresholds are compared exactly. -#}
{% macro to_cents(amount) -%}
    cast(round({{ amount }} * 100) as {{ dbt.type_bigint() }})
{%- endmacro %}
