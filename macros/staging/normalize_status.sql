{% macro normalize_status(column) -%}
    {%- set key = "replace(lower(trim(cast(" ~ column ~ " as " ~ type_text() ~ "))), ' ', '')" -%}
    case {{ key }}
        when 'complete' then 'Complete'
        when 'cancelled' then 'Cancelled'
        when 'returned' then 'Returned'
        when 'processing' then 'Processing'
        when 'shipped' then 'Shipped'
        else {{ clean_text(column) }}
    end
{%- endmacro %}
