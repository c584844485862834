{#-
    How customer_features_snapshot keeps one version per customer per week through reruns.
    Every date here is the run's as_of_date, from feature_window() (checked YYYY-MM-DD).
-#}

{#- The snapshot's relation, or none before its first build. -#}
{% macro customer_features_history_relation() -%}
    {%- for node in graph.nodes.values()
        if node.resource_type == 'snapshot' and node.name == 'customer_features_snapshot' -%}
        {{ return(adapter.get_relation(database=node.database, schema=node.schema, identifier=node.alias)) }}
    {%- endfor -%}
    {{ return(none) }}
{%- endmacro %}

{#-
    Stops the run, before any model is built, when the snapshot is selected and already holds a
    later week than as_of_date (a version opened or closed after it): history is written in week
    order. Run from on-run-start, and again by the snapshot's pre-hook for `dbt snapshot` alone.
-#}
{% macro check_history_order() -%}
    {%- if execute -%}
        {%- set selected = 'snapshot.customer_mart.customer_features_snapshot' in selected_resources -%}
        {%- set history = customer_features_history_relation() -%}
        {#- In an on-run-start hook `model` is the hook itself (an operation): only the snapshot's
            own pre-hook counts as the snapshot running. -#}
        {%- set in_snapshot = model is defined and model.resource_type == 'snapshot' -%}
        {%- if (selected or in_snapshot) and history is not none -%}
            {%- set as_of = feature_window().end -%}
            {%- set later = run_query(
                'select cast(max(week) as ' ~ dbt.type_string() ~ ') from ('
                ~ ' select max(dbt_valid_from) as week from ' ~ history
                ~ ' union all select max(dbt_valid_to) as week from ' ~ history
                ~ ") as weeks where week > cast('" ~ as_of ~ "' as timestamp)"
            ).columns[0].values()[0] -%}
            {%- if later is not none -%}
                {{ exceptions.raise_compiler_error(
                    "customer_features_snapshot already holds the week of " ~ (later | string)[:10]
                    ~ ", later than as_of_date " ~ as_of ~ ": history is built in week order, so this run"
                    ~ " would write a week before one it already has. Build as_of_date " ~ (later | string)[:10]
                    ~ " or later, or leave the snapshot out (--exclude customer_features_snapshot) to build"
                    ~ " an earlier week's mart without touching the history."
                ) }}
            {%- endif -%}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}

{#-
    The snapshot's pre-hooks, in order (after check_history_order): undo what an earlier run for
    this same as_of_date wrote, so that the snapshot compares the mart with the versions as they
    were before this week: versions it opened are deleted, versions it closed are open again.
-#}
{% macro delete_versions_of_this_week() -%}
    {%- do check_history_order() -%}
    {%- if execute and adapter.get_relation(database=this.database, schema=this.schema, identifier=this.identifier) -%}
        delete from {{ this }} where dbt_valid_from = cast('{{ feature_window().end }}' as timestamp)
    {%- endif -%}
{%- endmacro %}

{% macro reopen_versions_closed_this_week() -%}
    {%- if execute and adapter.get_relation(database=this.database, schema=this.schema, identifier=this.identifier) -%}
        update {{ this }} set dbt_valid_to = null where dbt_valid_to = cast('{{ feature_window().end }}' as timestamp)
    {%- endif -%}
{%- endmacro %}

{#-
    The snapshot's post-hook: a customer who is no longer in the mart has their current
    version closed on this as_of_date; if they come back, a new version opens then.
-#}
{% macro close_departed_customers() -%}
    update {{ this }}
    set dbt_valid_to = cast('{{ feature_window().end }}' as timestamp)
    where
        dbt_valid_to is null
        and user_id not in (select mart.user_id from {{ ref('customer_features') }} as mart)
{%- endmacro %}
