{#-
    The profit-level thresholds in dollars, checked together: {'level_2_above': ..., 'level_3_from': ...}
    from the vars profit_level_2_above and profit_level_3_from. Each must be a non-negative
    number, and level 2 must start below level 3 (a band of zero width would be empty).
-#}
{% macro profit_level_thresholds() -%}
    {%- set values = {} -%}
    {%- set given = {} -%}
    {%- for name in ('profit_level_2_above', 'profit_level_3_from') -%}
        {%- set raw = var(name) | string | trim -%}
        {%- if modules.re.fullmatch('-[0-9]+([.][0-9]+)?', raw) -%}
            {{ setting_error(name, raw, "must not be negative: a non-negative number of dollars, such as 50 or 49.99") }}
        {%- elif not modules.re.fullmatch('[0-9]+([.][0-9]+)?', raw) -%}
            {{ setting_error(name, raw, "not a number: a non-negative number of dollars, such as 50 or 49.99") }}
        {%- endif -%}
        {%- do values.update({name: raw | float}) -%}
        {%- do given.update({name: raw}) -%}
    {%- endfor -%}
    {%- if values.profit_level_2_above >= values.profit_level_3_from -%}
        {{ setting_error(
            'profit_level_2_above', given.profit_level_2_above,
            "must be below profit_level_3_from (" ~ given.profit_level_3_from ~ "): level 2 is the amounts above the first and below the second"
        ) }}
    {%- endif -%}
    {{ return({'level_2_above': values.profit_level_2_above, 'level_3_from': values.profit_level_3_from}) }}
{%- endmacro %}

{#- Dollars; an amount above this is profit level 2 (or 3). -#}
{% macro profit_level_2_above() -%}
    {{ return(profit_level_thresholds().level_2_above) }}
{%- endmacro %}

{#- Dollars; an amount from this on is profit level 3. -#}
{% macro profit_level_3_from() -%}
    {{ return(profit_level_thresholds().level_3_from) }}
{%- endmacro %}
