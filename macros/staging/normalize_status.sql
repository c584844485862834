{#- The five statuses of TheLook's orders and order items, as staging spells them. -#}
{% macro order_statuses() -%}
    {{ return(['Complete', 'Cancelled', 'Returned', 'Processing', 'Shipped']) }}
{%- endmacro %}

{#- The statuses as a SQL list, `('Complete', ...)`, for `in` tests. -#}
{% macro order_statuses_sql() -%}
    ({%- for status in order_statuses() %}'{{ status }}'{{ ", " if not loop.last }}{% endfor -%})
{%- endmacro %}

{% macro normalize_status(column) -%}
    {%- set key = "replace(lower(trim(cast(" ~ column ~ " as " ~ type_text() ~ "))), ' ', '')" -%}
    cast(case {{ key }}
        {%- for status in order_statuses() %}
        when '{{ status | lower }}' then '{{ status }}'
        {%- endfor %}
        else {{ clean_text(column) }}
    end as {{ type_text(raw_text_size(column)) }})
{%- endmacro %}
