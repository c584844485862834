{#-
    The feature window as ISO dates: {'start': ..., 'end': ...}. See the doc block
    `feature_window` for the rule. `as_of_date` empty means today in UTC.
-#}
{% macro feature_window() -%}
    {%- set raw = (var('as_of_date', env_var('AS_OF_DATE', '')) or '') | string | trim -%}
    {%- if raw in ('', 'None') -%}
        {%- set end = run_started_at.date() -%}
    {%- elif modules.re.fullmatch('[0-9]{4}-[0-9]{2}-[0-9]{2}', raw) -%}
        {%- set end = modules.datetime.datetime.strptime(raw, '%Y-%m-%d').date() -%}
    {%- else -%}
        {{ exceptions.raise_compiler_error("var as_of_date must be a date written YYYY-MM-DD, got '" ~ raw ~ "'") }}
    {%- endif -%}
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
