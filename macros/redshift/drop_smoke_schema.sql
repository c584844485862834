{#-
    `customer-mart smoke`'s last step: drops the scratch schema it built into, with everything in
    it. Only a name of the form smoke_<letters, digits, _> is accepted, so that no other schema
    (the production one, `raw_schema`) can be dropped by mistake.
-#}
{% macro drop_smoke_schema(schema) -%}
    {%- if not modules.re.fullmatch('smoke_[a-z0-9_]{1,56}', schema | string) -%}
        {{ exceptions.raise_compiler_error(
            "drop_smoke_schema: " ~ (schema | tojson) ~ " is not a scratch schema of the smoke test (smoke_<a-z0-9_>)"
        ) }}
    {%- endif -%}
    {%- do run_query('drop schema if exists ' ~ adapter.quote(schema) ~ ' cascade') -%}
    {{ log('smoke-dropped ' ~ schema, info=true) }}
{%- endmacro %}
