{#-
    The analysis high_value_customers_far_from_center: the distance in km from which a customer
    counts as far from every center (var far_from_center_km, default in dbt_project.yml), a non-negative number.
-#}
{% macro far_from_center_km() -%}
    {%- set raw = var('far_from_center_km') | string | trim -%}
    {%- if not modules.re.fullmatch('[0-9]+([.][0-9]+)?', raw) -%}
        {{ setting_error('far_from_center_km', raw, "must be a non-negative number of kilometres, such as 1000 or 250.5") }}
    {%- endif -%}
    {{ return(raw | float) }}
{%- endmacro %}
