{#-
    The on-run-end hook: appends this invocation's counts to monitoring_build_results, from the
    `results` dbt hands to on-run-end (every node that ran or was skipped). Checks are data tests
    and unit tests: passed, warned (a warn-severity test that found rows), failed (failed or
    errored) and skipped (a parent failed); nodes are models, seeds, snapshots and hooks that
    errored or were skipped (exposures, which never run, are not counted). Nothing is written before the table exists (its model was never built), nor for
    commands that run no nodes (compile, docs, run-operation...). Every value is dbt's own (an
    invocation id, a command name, counts, times), quoted all the same.
-#}
{% macro record_build_results(results) -%}
    {%- if execute and flags.WHICH in ('build', 'run', 'test', 'seed', 'snapshot') -%}
        {%- set relation = monitoring_build_results_relation() -%}
        {%- if relation is not none -%}
            {%- set counts = namespace(
                checks_passed=0, checks_warned=0, checks_failed=0, checks_skipped=0,
                nodes_failed=0, nodes_skipped=0
            ) -%}
            {%- for result in results -%}
                {%- set status = result.status | string | lower -%}
                {%- if result.node.resource_type in ('test', 'unit_test') -%}
                    {%- if status == 'pass' -%}
                        {%- set counts.checks_passed = counts.checks_passed + 1 -%}
                    {%- elif status == 'warn' -%}
                        {%- set counts.checks_warned = counts.checks_warned + 1 -%}
                    {%- elif status in ('fail', 'error', 'runtime error') -%}
                        {%- set counts.checks_failed = counts.checks_failed + 1 -%}
                    {%- elif status == 'skipped' -%}
                        {%- set counts.checks_skipped = counts.checks_skipped + 1 -%}
                    {%- endif -%}
                {%- elif result.node.resource_type in ('model', 'seed', 'snapshot', 'operation') -%}
                    {%- if status in ('error', 'runtime error') -%}
                        {%- set counts.nodes_failed = counts.nodes_failed + 1 -%}
                    {%- elif status == 'skipped' -%}
                        {%- set counts.nodes_skipped = counts.nodes_skipped + 1 -%}
                    {%- endif -%}
                {%- endif -%}
            {%- endfor -%}
            insert into {{ relation }} (
                invocation_id, command, run_started_at, run_finished_at,
                checks_passed, checks_warned, checks_failed, checks_skipped, nodes_failed, nodes_skipped
            )
            values (
                {{ sql_string(invocation_id) }},
                {{ sql_string(flags.WHICH) }},
                cast({{ sql_string(run_started_at.strftime('%Y-%m-%d %H:%M:%S.%f')) }} as timestamp),
                cast({{ sql_string(modules.datetime.datetime.now(modules.pytz.utc).strftime('%Y-%m-%d %H:%M:%S.%f')) }} as timestamp),
                {{ counts.checks_passed }}, {{ counts.checks_warned }}, {{ counts.checks_failed }},
                {{ counts.checks_skipped }}, {{ counts.nodes_failed }}, {{ counts.nodes_skipped }}
            )
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}

{#- monitoring_build_results in the warehouse, or none before its first build. -#}
{% macro monitoring_build_results_relation() -%}
    {%- set node = graph.nodes.get('model.customer_mart.monitoring_build_results') -%}
    {%- if node is none -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(adapter.get_relation(database=node.database, schema=node.schema, identifier=node.alias)) }}
{%- endmacro %}
