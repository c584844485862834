{#-
    The feature window as ISO dates: {'start': ..., 'end': ...}. See the doc block
    `feature_window` for the rule. `as_of_date` (the setting macro, checked) empty means today in UTC.
-#}
{% macro feature_window() -%}
    {%- set end = as_of_date() -%}
    {%- if end.month == 2 and end.day == 29 -%}
        {%- set start = end.replace(year=end.year - 1, day=28) -%}
    {%- else -%}
        {%- set start = end.replace(year=end.year - 1) -%}
    {%- endif -%}
    {{ return({'start': start.isoformat(), 'end': end.isoformat()}) }}
{%- endmacro %}

{#- True for timestamps inside the feature window: start inclusive, end exclusive. -#}
{% macro in_feature_window(column) -%}
    {%- set window = feature_window() -%}
    ({{ column }} >= cast('{{ window.start }}' as timestamp)
    and {{ column }} < cast('{{ window.end }}' as timestamp))
{%- endmacro %}
