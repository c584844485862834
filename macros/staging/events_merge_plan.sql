{#-
    What a run of stg_thelook__events (the model calling it: `this`) does, decided before it runs
    from two small tables: this run's raw events files with their signatures (one row each in
    profile_thelook__events, from its one full read of the raw events) and the files the model has
    merged, with their signatures then (`merged_event_files_relation`, written by its post-hook).

    - `incremental`: false when the table does not exist yet, on `--full-refresh`, or when it must
      be rebuilt (`rebuild`: a file merged before changed, by its signature, or is gone);
    - `new_files`: the files this run has that were never merged (read by an incremental run);
    - `one_row_per_id`: the profile found no event id twice in the raw events, so a full build
      has no copies to choose between;
    - `message`: what the run does and why, for the log.

    Files are compared by their path and their signature (the sum of the fingerprints of their
    rows), never by size or modification time: a re-export that keeps a file's name, size and
    modification time but changes a row changes its signature.
-#}
{% macro events_merge_plan() -%}
    {%- set name = this.identifier -%}
    {%- if not execute -%}
        {{ return({'incremental': false, 'rebuild': false, 'new_files': [], 'one_row_per_id': false, 'message': ''}) }}
    {%- endif -%}
    {%- set profile = ref('profile_thelook__events') -%}
    {#- A full build: whether the profile found any event id twice (else there is nothing to choose
        between). Not asked where the profile is not built yet (an offline compile). -#}
    {%- set one_row_per_id = false -%}
    {%- if adapter.get_relation(profile.database, profile.schema, profile.identifier) is not none -%}
        {%- set one_row_per_id = run_query(
            "select coalesce(sum(duplicate_rows + conflicting_versions), 0) from " ~ profile
        ).columns[0].values()[0] == 0 -%}
    {%- endif -%}
    {%- set full = {'incremental': false, 'rebuild': false, 'new_files': [], 'one_row_per_id': one_row_per_id} -%}
    {%- set existing = adapter.get_relation(this.database, this.schema, this.identifier) -%}
    {%- if existing is none or existing.type != 'table' -%}
        {{ return(dict(full, message=name ~ ': building from every raw events file, the first build.')) }}
    {%- elif flags.FULL_REFRESH -%}
        {{ return(dict(full, message=name ~ ': building from every raw events file, --full-refresh.')) }}
    {%- endif -%}
    {%- set ledger = adapter.get_relation(this.database, this.schema, merged_event_files_relation().identifier) -%}
    {%- if ledger is none -%}
        {{ return(dict(full, rebuild=true,
            message=name ~ ': rebuilding from every raw events file: no record of the files merged before.')) }}
    {%- endif -%}
    {%- set current = {} -%}
    {%- for file, signature in run_query(
        "select raw_file, file_signature from " ~ ref('profile_thelook__events') ~ " where raw_file is not null"
    ).rows -%}
        {%- do current.update({file: signature}) -%}
    {%- endfor -%}
    {%- set merged = {} -%}
    {%- for file, signature in run_query("select raw_file, file_signature from " ~ ledger).rows -%}
        {%- do merged.update({file: signature}) -%}
    {%- endfor -%}
    {%- set gone = [] -%}
    {%- set changed = [] -%}
    {%- for file, signature in merged.items() -%}
        {%- if file not in current -%}
            {%- do gone.append(file) -%}
        {%- elif current[file] != signature -%}
            {%- do changed.append(file) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if gone or changed -%}
        {%- set found = [] -%}
        {%- if changed -%}
            {%- do found.append(changed | length ~ ' changed (first ' ~ (changed | sort | first) ~ ')') -%}
        {%- endif -%}
        {%- if gone -%}
            {%- do found.append(gone | length ~ ' gone (first ' ~ (gone | sort | first) ~ ')') -%}
        {%- endif -%}
        {{ return(dict(full, rebuild=true,
            message=name ~ ': rebuilding from every raw events file (' ~ current | length ~ '): of the files merged before, '
            ~ found | join(' and ') ~ ' (a re-export, a correction, a removed file or another RAW_DATA_DIR).')) }}
    {%- endif -%}
    {%- set new_files = current.keys() | reject('in', merged) | sort | list -%}
    {%- if new_files -%}
        {%- set message = name ~ ': merging ' ~ new_files | length ~ ' new raw events file(s) (first '
            ~ new_files | first ~ '); the ' ~ merged | length ~ ' merged before are unchanged.' -%}
    {%- else -%}
        {%- set message = name ~ ': no new raw events file; the ' ~ merged | length ~ ' merged before are unchanged.' -%}
    {%- endif -%}
    {{ return(dict(full, incremental=true, new_files=new_files, message=message)) }}
{%- endmacro %}

{#- The table where stg_thelook__events records the raw files it has merged, next to it. -#}
{% macro merged_event_files_relation() -%}
    {{ return(api.Relation.create(
        database=this.database,
        schema=this.schema,
        identifier=this.identifier ~ '__merged_files',
        type='table',
    )) }}
{%- endmacro %}

{#-
    The select stg_thelook__events' post-hook records as its merged files: every raw file this run
    listed, with the signature the profile read (the same run, the same files), written in the
    same transaction as the merge. A `--empty` run merges no row, so it records no file.
-#}
{% macro merged_event_files_sql() -%}
    select raw_file, file_signature
    from {{ ref('profile_thelook__events') }}
    where raw_file is not null{{ ' and 1 = 0' if flags.EMPTY }}
{%- endmacro %}
