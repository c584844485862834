{#-
    dbt's own `should_full_refresh` (dbt-core's global macro, which this project's macro of the
    same name replaces), with one rule added: stg_thelook__events is rebuilt when a raw events file
    it merged before changed or is gone (`events_merge_plan`). dbt's incremental materialization
    and `is_incremental()` both ask this macro, so the model's SQL and the way dbt writes it agree.
    Every other model behaves as dbt's macro says: its `full_refresh` config, else the flag.
-#}
{% macro should_full_refresh() -%}
    {%- set configured = config.get('full_refresh') -%}
    {%- if configured is not none -%}
        {{ return(configured) }}
    {%- elif flags.FULL_REFRESH -%}
        {{ return(true) }}
    {%- elif model is defined and model.unique_id == 'model.customer_mart.stg_thelook__events' -%}
        {{ return(events_merge_plan().rebuild) }}
    {%- endif -%}
    {{ return(false) }}
{%- endmacro %}
