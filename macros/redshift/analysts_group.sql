{#- The analysts' group name, checked to be a plain identifier; empty means no grants. -#}
{% macro analysts_group() -%}
    {%- set group = (var('analysts_group', env_var('ANALYSTS_GROUP', 'analysts')) or '') | string | trim -%}
    {%- if group and not modules.re.fullmatch('[A-Za-z_][A-Za-z0-9_$]*', group) -%}
        {{ exceptions.raise_compiler_error("var analysts_group must be a plain group name, got '" ~ group ~ "'") }}
    {%- endif -%}
    {{ return(group | lower) }}
{%- endmacro %}
