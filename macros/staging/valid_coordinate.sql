{% macro valid_coordinate(column, limit) -%}
    case
        when cast({{ column }} as double precision) between -{{ limit }} and {{ limit }}
            then cast({{ column }} as double precision)
    end
{%- endmacro %}
