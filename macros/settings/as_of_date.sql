{#-
    The day the features are computed for, as a date: var as_of_date, else env AS_OF_DATE;
    empty means today in UTC. A value that is not a real
    calendar date written YYYY-MM-DD stops the run, saying which part is wrong.
-#}
{% macro as_of_date() -%}
    {%- set raw = (var('as_of_date', env_var('AS_OF_DATE', '')) or '') | string | trim -%}
    {%- if raw in ('', 'None') -%}
        {{ return(run_started_at.date()) }}
    {%- endif -%}
    {%- set allowed = "a real calendar date written YYYY-MM-DD, such as 2026-11-23, or empty for today (UTC)" -%}
    {%- set parts = modules.re.fullmatch('([0-9]{4})-([0-9]{2})-([0-9]{2})', raw) -%}
    {%- if not parts -%}
        {{ setting_error('as_of_date', raw, "not written YYYY-MM-DD; use " ~ allowed, 'AS_OF_DATE') }}
    {%- endif -%}
    {%- set year, month, day = parts.group(1) | int, parts.group(2) | int, parts.group(3) | int -%}
    {%- if month < 1 or month > 12 -%}
        {{ setting_error('as_of_date', raw, "month " ~ month ~ " does not exist (1 to 12); use " ~ allowed, 'AS_OF_DATE') }}
    {%- endif -%}
    {%- set next_month = modules.datetime.date(year + (month // 12), month % 12 + 1, 1) -%}
    {%- set last_day = (next_month - modules.datetime.timedelta(days=1)).day -%}
    {%- if day < 1 or day > last_day -%}
        {{ setting_error(
            'as_of_date', raw,
            "day " ~ day ~ " does not exist in " ~ year ~ "-" ~ parts.group(2) ~ " (1 to " ~ last_day ~ "); use " ~ allowed,
            'AS_OF_DATE'
        ) }}
    {%- endif -%}
    {{ return(modules.datetime.date(year, month, day)) }}
{%- endmacro %}
