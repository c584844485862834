{#-
    A post-hook for the marts: on Redshift, the analysts' group may look up objects in the
    mart's schema. `usage` alone reads nothing; only the marts carry a select grant
    (analyst_grants), so staging and intermediate relations stay unreadable to analysts.
    Empty elsewhere, and dbt skips an empty hook.
-#}
{% macro grant_schema_usage() -%}
    {%- set group = analysts_group() -%}
    {%- if target.type == 'redshift' and group -%}
        grant usage on schema {{ adapter.quote(this.schema) }} to group {{ group }}
    {%- endif -%}
{%- endmacro %}
