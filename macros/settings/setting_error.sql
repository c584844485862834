{#-
    Stops the run with one message for a bad setting: its name, where it is set, the value given
    and what is allowed. Every setting macro in this folder reports through it.
-#}
{% macro setting_error(name, value, allowed, env=none) -%}
    {%- set where = "var " ~ name ~ (" or environment variable " ~ env if env else "") -%}
    {{ exceptions.raise_compiler_error(
        "setting " ~ name ~ " (" ~ where ~ ") is " ~ (value | string | tojson) ~ ": " ~ allowed
    ) }}
{%- endmacro %}
