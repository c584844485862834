{#-
    Days before the last counted day that an incremental run of int_events_daily_by_source counts
    again (var events_lookback_days): a non-negative whole number.
-#}
{% macro events_lookback_days() -%}
    {%- set raw = var('events_lookback_days') | string | trim -%}
    {%- if not modules.re.fullmatch('[0-9]+', raw) -%}
        {{ setting_error('events_lookback_days', raw, "must be a whole number of days, 0 or more, such as 3") }}
    {%- endif -%}
    {{ return(raw | int) }}
{%- endmacro %}
