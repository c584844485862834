{#-
    The exact `--vars '{...}'` to rerun this build with `overrides` (a dict of settings): the
    run's own --vars with these added or replaced. dbt's --vars replaces every var given before,
    so a message that said only `--vars '{max_raw_table_shrink: 1}'` would quietly move a rerun
    of an old week (`as_of_date` given as a var) to today.
-#}
{% macro rerun_vars(overrides) -%}
    {%- set merged = dict(invocation_args_dict.get('vars') or {}) -%}
    {%- do merged.update(overrides) -%}
    {%- set pairs = [] -%}
    {%- for name, value in merged.items() -%}
        {%- do pairs.append(name ~ ": " ~ (value | tojson)) -%}
    {%- endfor -%}
    {#- Inside the shell's single quotes a quote is written '\'' -#}
    {{ return("--vars '{" ~ (pairs | join(', ') | replace("'", "'\\''")) ~ "}'") }}
{%- endmacro %}
