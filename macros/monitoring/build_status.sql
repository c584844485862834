{#-
    For `dbt run-operation build_status`: prints one line of JSON, {"build_status": {...}}, with
    the latest row of customer_features_builds (the last build that wrote the mart): when it
    started and finished, its as_of_date, customers, profit-level shares and check counts (null
    where that build recorded none). {"build_status": {"found": false}} before any such build.
    Read by scripts/weekly_build.sh and `make docs` (scripts/docs_build_status.py puts it on the
    docs site; scripts/report_build.py sends the week's success line).
-#}
{% macro build_status() -%}
    {%- set status = {'found': false} -%}
    {%- if execute -%}
        {%- set node = graph.nodes.get('model.customer_mart.customer_features_builds') -%}
        {%- set relation = none if node is none else adapter.get_relation(
            database=node.database, schema=node.schema, identifier=node.alias
        ) -%}
        {%- if relation is not none -%}
            {%- set latest = run_query(
                'select * from ' ~ relation ~ ' order by build_started_at desc limit 1'
            ) -%}
            {%- if latest.rows | length > 0 -%}
                {%- set row = latest.rows[0] -%}
                {%- do status.update({'found': true}) -%}
                {%- for name in ['invocation_id', 'build_started_at', 'build_finished_at', 'as_of_date'] -%}
                    {%- do status.update({name: none if row[name] is none else (row[name] | string)}) -%}
                {%- endfor -%}
                {%- for name in ['customers', 'checks_passed', 'checks_warned', 'checks_failed',
                                 'checks_skipped', 'nodes_failed', 'nodes_skipped'] -%}
                    {%- do status.update({name: none if row[name] is none else (row[name] | int)}) -%}
                {%- endfor -%}
                {%- for level in [1, 2, 3] -%}
                    {%- set share = row['profit_level_' ~ level ~ '_share'] -%}
                    {%- do status.update({'profit_level_' ~ level ~ '_share': none if share is none else (share | float)}) -%}
                {%- endfor -%}
            {%- endif -%}
        {%- endif -%}
    {%- endif -%}
    {{- print(tojson({'build_status': status})) -}}
{%- endmacro %}
