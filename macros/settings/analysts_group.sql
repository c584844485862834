{#-
    Redshift: the group given read access to the marts (var analysts_group, env ANALYSTS_GROUP,
    default analysts), checked to be a plain group name; empty means no grants. The marts' +grants
    expression in dbt_project.yml reads the same var (dbt renders project configs before macros
    exist); `check_settings` stops the run if the two ever disagree.
-#}
{% macro analysts_group() -%}
    {%- set group = (var('analysts_group', env_var('ANALYSTS_GROUP', 'analysts')) or '') | string | trim -%}
    {%- if group and not modules.re.fullmatch('[A-Za-z_][A-Za-z0-9_$]{0,126}', group) -%}
        {{ setting_error(
            'analysts_group', group,
            "must be a plain group name (letters, digits, _ and $, not starting with a digit), or empty for no grants",
            'ANALYSTS_GROUP'
        ) }}
    {%- endif -%}
    {{ return(group | lower) }}
{%- endmacro %}
