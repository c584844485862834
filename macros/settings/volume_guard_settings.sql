{#-
    The volume guards' settings, checked: {'max_raw_table_shrink': share, 'max_profit_level_share_shift': share}.
    A value that is not a number from 0 to 1 stops the build with a message naming the var and the value.
-#}
{% macro volume_guard_settings() -%}
    {%- set settings = {} -%}
    {%- for name in ['max_raw_table_shrink', 'max_profit_level_share_shift'] -%}
        {%- set value = var(name) -%}
        {%- set text = value | string | trim -%}
        {%- if not modules.re.fullmatch('[0-9]+(\\.[0-9]+)?', text) or (text | float) > 1 -%}
            {{ setting_error(name, text, "must be a number from 0 to 1 (a share: 0.5 is 50%)") }}
        {%- endif -%}
        {%- do settings.update({name: text | float}) -%}
    {%- endfor -%}
    {{ return(settings) }}
{%- endmacro %}
