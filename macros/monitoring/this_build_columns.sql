{#- The first three columns of every run-history row a model appends: this invocation, when it
    started and the day the features are computed for. -#}
{% macro this_build_columns() -%}
    cast('{{ invocation_id }}' as {{ type_text(36) }}) as invocation_id,
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}' as timestamp) as run_started_at,
    cast('{{ feature_window().end }}' as date) as as_of_date
{%- endmacro %}
