{#-
    `dbt run-operation create_spectrum_schema --target redshift`: creates the Redshift Spectrum
    external schema the raw sources are read from, over the Glue Data Catalog database the
    infrastructure defines (settings: spectrum_settings). Idempotent: an existing schema is
    kept, after checking that it reads the same Glue database. With `--args '{dry_run: true}'`
    it only prints the statement; the other arguments override vars and environment.
-#}
{% macro create_spectrum_schema(dry_run=false, schema=none, glue_database=none, iam_role=none, region=none) -%}
    {%- if target.type != 'redshift' -%}
        {{ exceptions.raise_compiler_error("create_spectrum_schema is for the redshift target, not " ~ target.type) }}
    {%- endif -%}
    {%- set settings = spectrum_settings(schema, glue_database, iam_role, region) -%}
    {%- set statement = spectrum_schema_sql(settings) -%}
    {%- if dry_run -%}
        {{ print(statement) }}
        {{ return(none) }}
    {%- endif -%}

    {%- do run_query(statement) -%}
    {%- set found = run_query(
        "select databasename from svv_external_schemas where schemaname = '" ~ settings.schema ~ "'"
    ) -%}
    {%- if found.rows | length == 0 -%}
        {{ exceptions.raise_compiler_error("external schema " ~ settings.schema ~ " was not created") }}
    {%- elif found.rows[0][0] | lower != settings.glue_database | lower -%}
        {{ exceptions.raise_compiler_error(
            "schema " ~ settings.schema ~ " already exists over Glue database " ~ found.rows[0][0]
            ~ ", not " ~ settings.glue_database ~ "; drop it, or use another RAW_SCHEMA and SPECTRUM_SCHEMA"
        ) }}
    {%- endif -%}
    {{ log("External schema " ~ settings.schema ~ " reads Glue database " ~ settings.glue_database, info=true) }}
{%- endmacro %}
