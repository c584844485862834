{#-
    Every var the project reads: the vars of dbt_project.yml and the settings the macros read
    (tests/python/test_settings.py holds this list to the code). check_vars refuses any other.
-#}
{% macro known_vars() -%}
    {{ return([
        'as_of_date', 'raw_data_dir', 'raw_file_format', 'raw_schema', 'analysts_group',
        'profit_level_2_above', 'profit_level_3_from', 'far_from_center_km',
        'max_raw_table_shrink', 'max_profit_level_share_shift', 'max_raw_table_age_days',
        'spectrum_schema', 'glue_database', 'spectrum_iam_role_arn', 'aws_region',
    ]) }}
{%- endmacro %}

{#-
    Stops the run when `--vars` holds a key the project does not read (known_vars), naming the key
    and the nearest known name: a mistyped `as_of_dat` would otherwise build today's mart.
-#}
{% macro check_vars() -%}
    {%- set known = known_vars() -%}
    {%- set given = invocation_args_dict.get('vars') or {} -%}
    {%- for key in given if key not in known -%}
        {%- set ns = namespace(best=none, distance=none) -%}
        {%- for name in known -%}
            {%- set distance = edit_distance(key | string | lower, name) -%}
            {%- if ns.distance is none or distance < ns.distance -%}
                {%- set ns.best, ns.distance = name, distance -%}
            {%- endif -%}
        {%- endfor -%}
        {{ exceptions.raise_compiler_error(
            "--vars key " ~ (key | string | tojson) ~ " is not a setting of this project (the nearest is "
            ~ ns.best ~ "); nothing was built. The settings: " ~ known | sort | join(', ') ~ " (README, Settings)."
        ) }}
    {%- endfor -%}
{%- endmacro %}

{#- The Levenshtein distance between two strings: the fewest single-character edits from one to the other. -#}
{% macro edit_distance(a, b) -%}
    {%- set ns = namespace(previous=range(b | length + 1) | list) -%}
    {%- for i in range(1, a | length + 1) -%}
        {%- set current = [i] -%}
        {%- for j in range(1, b | length + 1) -%}
            {%- do current.append([
                ns.previous[j] + 1,
                current[j - 1] + 1,
                ns.previous[j - 1] + (0 if a[i - 1] == b[j - 1] else 1),
            ] | min) -%}
        {%- endfor -%}
        {%- set ns.previous = current -%}
    {%- endfor -%}
    {{ return(ns.previous[b | length]) }}
{%- endmacro %}
