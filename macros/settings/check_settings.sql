{#-
    on-run-start, on every target: refuses a --vars key the project does not read (check_vars),
    then reads each setting through its macro, which stops the run with a message naming the
    setting, the value and what is allowed; so a bad setting fails before any model, test or raw
    file is touched. DuckDB's own settings (DUCKDB_THREADS,
    DUCKDB_MEMORY_LIMIT) are checked earlier, where the profile is rendered (profiles.yml.example).
-#}
{% macro check_settings() -%}
    {%- if execute -%}
        {#- First the --vars keys: a mistyped name would otherwise leave its setting at the default. -#}
        {%- do check_vars() -%}
        {%- do as_of_date() -%}
        {%- do profit_level_thresholds() -%}
        {%- do volume_guard_settings() -%}
        {%- do max_raw_table_age_days() -%}
        {#- The sources' schema (source YAML cannot call macros) must be what raw_schema reads. -#}
        {%- set schema = raw_schema() -%}
        {%- for source in graph.sources.values() if source.source_name == 'thelook' and source.schema != schema -%}
            {{ exceptions.raise_compiler_error(
                "source thelook." ~ source.name ~ " reads schema " ~ source.schema ~ ", but raw_schema gives " ~ schema
                ~ ": the schema in _thelook__sources.yml must read var raw_schema as the macro does"
            ) }}
        {%- endfor -%}
        {%- do raw_file_format() -%}
        {%- if target.type == 'duckdb' -%}
            {%- do raw_data_dir() -%}
        {%- endif -%}
        {%- set group = analysts_group() -%}
        {#- The +grants expression (dbt_project.yml, one YAML anchor for the marts and the snapshots)
            cannot call this macro: hold every relation it applies to, and any other granted one, to it. -#}
        {%- if target.type == 'redshift' -%}
            {%- set expected = {'select': ['group:' ~ group]} if group else {} -%}
            {%- for node in graph.nodes.values() if node.resource_type in ('model', 'snapshot') -%}
                {%- set granted = node.resource_type == 'snapshot' or node.fqn[1] == 'marts' -%}
                {%- if (node.config.grants or {}) != (expected if granted else {}) -%}
                    {{ exceptions.raise_compiler_error(
                        node.resource_type ~ " " ~ node.name ~ " grants " ~ node.config.grants ~ ", but analysts_group gives "
                        ~ expected ~ ": the +grants expression in dbt_project.yml must read var analysts_group as the macro does"
                    ) }}
                {%- endif -%}
            {%- endfor -%}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}
