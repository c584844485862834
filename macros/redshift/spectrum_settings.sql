{#-
    The settings of the Spectrum external schema, checked: {schema, glue_database, iam_role,
    region}. Each comes from the macro argument, else the var, else the environment variable:

      schema         var spectrum_schema        SPECTRUM_SCHEMA        default: the sources' raw_schema
      glue_database  var glue_database          GLUE_DATABASE          required
      iam_role       var spectrum_iam_role_arn  SPECTRUM_IAM_ROLE_ARN  required
      region         var aws_region             AWS_REGION             optional (the Glue catalog's region)

    The schema must be the one the sources read (var raw_schema, env RAW_SCHEMA, default
    thelook_raw): a different one is an error rather than a build that reads elsewhere.
-#}
{% macro spectrum_settings(schema=none, glue_database=none, iam_role=none, region=none) -%}
    {%- set given = {'schema': schema, 'glue_database': glue_database, 'iam_role': iam_role, 'region': region} -%}
    {%- set sources = {
        'schema': ('spectrum_schema', 'SPECTRUM_SCHEMA'),
        'glue_database': ('glue_database', 'GLUE_DATABASE'),
        'iam_role': ('spectrum_iam_role_arn', 'SPECTRUM_IAM_ROLE_ARN'),
        'region': ('aws_region', 'AWS_REGION'),
    } -%}
    {%- set settings = {} -%}
    {%- for key, names in sources.items() -%}
        {%- set value = given[key] if given[key] is not none else var(names[0], env_var(names[1], '')) -%}
        {%- do settings.update({key: (value or '') | string | trim}) -%}
    {%- endfor -%}

    {%- set sources_schema = raw_schema() -%}
    {%- do settings.update({'schema': (settings.schema or sources_schema) | lower}) -%}
    {%- if settings.schema != sources_schema -%}
        {{ exceptions.raise_compiler_error(
            "spectrum_schema '" ~ settings.schema ~ "' differs from raw_schema '" ~ sources_schema
            ~ "', the schema the sources read; set SPECTRUM_SCHEMA and RAW_SCHEMA to the same name"
        ) }}
    {%- endif -%}
    {%- if not modules.re.fullmatch('[a-z_][a-z0-9_]*', settings.schema) -%}
        {{ exceptions.raise_compiler_error("spectrum_schema is not a plain schema name: '" ~ settings.schema ~ "'") }}
    {%- endif -%}
    {%- if not settings.glue_database -%}
        {{ exceptions.raise_compiler_error("set var glue_database or the environment variable GLUE_DATABASE") }}
    {%- elif not modules.re.fullmatch('[A-Za-z0-9_-]+', settings.glue_database) -%}
        {{ exceptions.raise_compiler_error("glue_database is not a Glue database name: '" ~ settings.glue_database ~ "'") }}
    {%- endif -%}
    {#- One role ARN, or a comma-separated chain of them, as Redshift accepts. -#}
    {%- set role_arn = 'arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9_+=.@/-]+' -%}
    {%- if not settings.iam_role -%}
        {{ exceptions.raise_compiler_error("set var spectrum_iam_role_arn or the environment variable SPECTRUM_IAM_ROLE_ARN") }}
    {%- elif not modules.re.fullmatch(role_arn ~ '(,' ~ role_arn ~ ')*', settings.iam_role) -%}
        {{ exceptions.raise_compiler_error("spectrum_iam_role_arn is not an IAM role ARN: '" ~ settings.iam_role ~ "'") }}
    {%- endif -%}
    {%- if settings.region and not modules.re.fullmatch('[a-z]{2}(-[a-z]+)+-[0-9]', settings.region) -%}
        {{ exceptions.raise_compiler_error("aws_region is not an AWS region: '" ~ settings.region ~ "'") }}
    {%- endif -%}
    {{ return(settings) }}
{%- endmacro %}
