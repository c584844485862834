"""The redshift target, checked with no warehouse: the project compiles, every compiled model and
test passes redshift_rules.py's gate (each construct on the allow-list of what Redshift documents,
nothing from the deny-lists; the unit tests, which need a warehouse to compile, are checked by the
rehearsal), the gate refuses each PostgreSQL-only construct by name and lets what Redshift documents
through, the Redshift-only configs land where they should, the Spectrum macro writes the right
statement, and the profile connects as meant. The gate only reads text."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import redshift_rules
import yaml
from conftest import PROJECT_DIR, DbtProject

OFFLINE = [sys.executable, str(Path(__file__).with_name("dbt_offline.py"))]

# Placeholders only: nothing here is reachable, and nothing may try to reach it.
REDSHIFT_ENV = {
    "REDSHIFT_HOST": "example-cluster.abc123xyz789.eu-west-1.redshift.amazonaws.com",
    "REDSHIFT_USER": "placeholder_user",
    "REDSHIFT_PASSWORD": "placeholder-password",
    "REDSHIFT_DATABASE": "dev",
    "REDSHIFT_SCHEMA": "customer_mart",
    "GLUE_DATABASE": "customer_mart_raw",
    "SPECTRUM_IAM_ROLE_ARN": "arn:aws:iam::123456789012:role/customer-mart-spectrum",
    "AWS_REGION": "eu-west-1",
    "RAW_SCHEMA": "thelook_raw",
    "SPECTRUM_SCHEMA": "",
    "ANALYSTS_GROUP": "analysts",
    "REDSHIFT_AUTH_METHOD": "database",
    "REDSHIFT_CLUSTER_ID": "",
    "REDSHIFT_WORKGROUP": "",
}

COMPILE_VARS = {"as_of_date": "2026-07-01"}


def redshift_problems(sql: str) -> list[str]:
    """What keeps one compiled statement from running on Redshift as meant (redshift_rules.py)."""
    return redshift_rules.problems(sql)


def check_compiled(compiled: dict[str, str]) -> None:
    """Fail naming every node whose compiled SQL has a Redshift problem."""
    redshift_rules.check(compiled)


@pytest.fixture(scope="module")
def redshift_project(tmp_path_factory) -> DbtProject:
    workdir = tmp_path_factory.mktemp("redshift-offline")
    return DbtProject(
        workdir=workdir, raw_dir=workdir / "no-raw-data", target="redshift", extra_env=dict(REDSHIFT_ENV)
    )


@pytest.fixture(scope="module")
def manifest(redshift_project) -> dict:
    redshift_project.run("compile", "--no-populate-cache", vars=COMPILE_VARS, launcher=OFFLINE)
    return json.loads((redshift_project.workdir / "target" / "manifest.json").read_text())


def test_every_model_test_and_snapshot_compiles_for_redshift(manifest):
    nodes = [
        node
        for node in manifest["nodes"].values()
        if node["resource_type"] in {"model", "test", "snapshot"} and node["package_name"] == "customer_mart"
    ]
    kinds = {kind: sum(node["resource_type"] == kind for node in nodes) for kind in ("model", "test")}
    assert kinds["model"] >= 15 and kinds["test"] >= 50, kinds
    not_compiled = [node["unique_id"] for node in nodes if not (node.get("compiled_code") or "").strip()]
    assert not not_compiled, f"not compiled: {not_compiled}"
    sources = {s["name"]: s["relation_name"] for s in manifest["sources"].values()}
    assert sources["users"] == '"dev"."thelook_raw"."users"'


def test_every_compiled_model_and_test_is_redshift_sql(manifest):
    compiled = {
        f"{node['resource_type']} {node['name']}": node["compiled_code"]
        for node in manifest["nodes"].values()
        if node["resource_type"] in {"model", "test", "snapshot"} and node["package_name"] == "customer_mart"
    }
    check_compiled(compiled)


def test_the_check_names_the_model_that_is_not_redshift_sql():
    with pytest.raises(AssertionError) as failure:
        check_compiled(
            {
                "model good": "select cast(a as varchar(65535)) as a, count(*) as n from t group by 1",
                "model broken": "select a from t where",
                "model duckdb_only": "select mode(a) as a, cast(b as varchar) as b from read_parquet('x')",
            }
        )
    message = str(failure.value)
    assert "model broken: does not parse" in message
    assert "model duckdb_only:" in message and "mode()" in message and "without a length" in message
    assert "model good" not in message


def test_a_named_window_in_the_profiles_fails_the_gate(manifest):
    """The profiles' window, written back as the named window it was before (a WINDOW clause and
    OVER versions), fails the gate for every profile, naming the model and the clause."""
    profiles = {
        f"model {node['name']}": node["compiled_code"]
        for node in manifest["nodes"].values()
        if node["name"].startswith("profile_thelook__")
    }
    assert len(profiles) == 7
    named = {}
    for name, sql in profiles.items():
        spec = re.search(r"row_number\(\) over \(([^()]*)\) as version_rank", sql)[1]
        sql = sql.replace(f"over ({spec})", "over versions")
        named[name] = re.sub(r"(\n\s*from raw_rows\n)", rf"\1    window versions as ({spec})\n", sql, count=1)
        assert "window versions as" in named[name]
    check_compiled(profiles)
    with pytest.raises(AssertionError) as failure:
        check_compiled(named)
    for name in profiles:
        assert f"{name}: " in str(failure.value)
    assert str(failure.value).count("WINDOW clause (a named window)") == 7


# One statement per PostgreSQL-only construct that sqlglot's `redshift` reader parses (so the
# gate, not a parse failure, refuses it), and the name the refusal must give. Where the construct
# is not in Redshift: the SELECT synopsis (WINDOW, FOR UPDATE, FETCH), the SELECT list (DISTINCT
# ON), the FROM clause (LATERAL, TABLESAMPLE, a VALUES table), "Window functions" (the named window,
# a RANGE frame, FILTER), INSERT (RETURNING, ON CONFLICT), WITH (a recursive CTE needs its
# column list), CREATE VIEW (a late-binding view names its tables with their schema), the data
# types and "Unsupported PostgreSQL data types" (JSONB, UUID, INTERVAL, arrays), "Unsupported
# PostgreSQL features" (array and row constructors, subscripts, collations, indexes),
# "Unsupported PostgreSQL functions" and "Leader node-only functions".
POSTGRESQL_ONLY = {
    "named-window": (
        "select row_number() over versions as version_rank from s.t"
        " window versions as (partition by k order by created_at desc nulls last)",
        "WINDOW clause (a named window)",
    ),
    "named-window-reference": ("select sum(a) over w as total from s.t", "OVER window_name (a named window)"),
    "distinct-on": ("select distinct on (user_id) user_id, created_at from s.orders", "DISTINCT ON"),
    "filter": ("select count(*) filter (where status = 'Returned') as n from s.items", "FILTER (WHERE ...)"),
    "lateral": (
        "select u.id, o.n from s.users as u cross join lateral"
        " (select count(*) as n from s.orders as o where o.user_id = u.id) as o",
        "LATERAL",
    ),
    "generate-series": ("select n from generate_series(1, 500) as numbers (n)", "generate_series()"),
    "array-constructor": ("select array[1, 2, 3] as ids", "ARRAY[...] constructor"),
    "row-constructor": ("select row(1, 'a') as pair", "ROW(...) constructor"),
    "row-tuple": ("select (1, 'a') as pair", "row constructor"),
    "subscript": ("select ids[1] as first_id from s.t", "subscript x[i]"),
    "jsonb-cast": ("select payload::jsonb as payload from s.t", "the data type JSONB"),
    "json-operators": ("select payload -> 'a' as a, payload ->> 'b' as b from s.t", "-> (a JSON operator)"),
    "returning": ("insert into s.t (a) values (1) returning a", "RETURNING"),
    "on-conflict": ("insert into s.t (a) values (1) on conflict (a) do nothing", "ON CONFLICT"),
    "recursive-cte-without-columns": (
        "with recursive r as (select 1 as n union all select n + 1 from r where n < 3) select n from r",
        "recursive CTE r without a column list",
    ),
    "tablesample": ("select a from s.t tablesample system (10)", "TABLESAMPLE"),
    "for-update": ("select a from s.t for update", "FOR UPDATE"),
    "fetch-first": ("select a from s.t fetch first 3 rows only", "FETCH FIRST"),
    "values-table": ("select id from (values (1), (2)) as v (id)", "VALUES list used as a constant table"),
    "range-frame": (
        "select sum(a) over (order by b range between unbounded preceding and current row) as s from s.t",
        "a RANGE frame",
    ),
    "is-distinct-from": ("select a is distinct from b as changed from s.t", "IS DISTINCT FROM"),
    "any-array": ("select a from s.t where a = any (array[1, 2])", "ANY (array)"),
    "semi-join": ("select a from s.t semi join s.u on t.a = u.a", "SEMI JOIN"),
    "string-agg": ("select string_agg(a, ',') as names from s.t", "string_agg()"),
    "array-agg": ("select array_agg(a) as ids from s.t", "array_agg()"),
    "uuid": ("select cast(a as uuid) as id from s.t", "the data type UUID"),
    "interval-type": ("select cast(a as interval) as span from s.t", "the data type INTERVAL"),
    "collate": ('select a collate "C" as a from s.t', "COLLATE"),
    "create-index": ("create index t_a on s.t (a)", "INDEX"),
    "materialized-cte": ("with c as materialized (select 1 as a) select a from c", "MATERIALIZED"),
    "now": ("select now() as at", "now()"),
    "current-timestamp": ("select current_timestamp as at", "CURRENT_TIMESTAMP"),
    "unqualified-late-binding-view": (
        "create view s.v as select a from t with no schema binding",
        "late-binding view reads t without a schema",
    ),
    "unlisted-system-view": ("select pid from pg_stat_activity", "the system relation pg_stat_activity"),
    "date-trunc-bare-datepart": (
        "select date_trunc(day, t) as d from s.t",
        "date_trunc(day, t) is not of a documented shape",
    ),
    "round-places-not-an-integer": (
        "select round(x, y) as r from s.t",
        "round(x, y) is not of a documented shape",
    ),
    "strtol-base-not-an-integer": (
        "select strtol(h, b) as v from s.t",
        "strtol(h, b) is not of a documented shape",
    ),
    "extract-isodow": ("select extract(isodow from t) as d from s.t", "the date part ISODOW"),
    "window-function-without-over": ("select row_number() as n from s.t", "needs OVER (...)"),
}


@pytest.mark.parametrize(("sql", "named"), POSTGRESQL_ONLY.values(), ids=POSTGRESQL_ONLY.keys())
def test_the_gate_refuses_each_postgresql_only_construct_by_name(sql, named):
    found = redshift_problems(sql)
    assert not any("does not parse" in problem for problem in found), found
    # The allow-list alone refuses it, by name (the deny-lists may name it too).
    refused = redshift_rules.allowlist_refusals(sql)
    assert any(named in problem for problem in refused), refused


# Statements Redshift's reference documents, each using constructs the project does not (yet):
# the gate must let them through, so it is not a parse-failure detector.
REDSHIFT_SQL = [
    "select a, count(*) as n from s.t group by a having count(*) > 1 order by n desc limit 10 offset 5",
    "with recursive r (n) as (select 1 as n union all select n + 1 from r where n < 3) select n from r",
    "select a, sum(b) as total from s.t group by grouping sets ((a), ())",
    "select a, b, sum(c) as total from s.t group by rollup (a, b)",
    "select a, sum(c) as total from s.t group by cube (a)",
    "select a from s.t qualify row_number() over (partition by a order by b desc nulls last) = 1",
    "select listagg(a, ',') within group (order by a) as names from s.t",
    "select percentile_cont(0.5) within group (order by a) as middle from s.t",
    "select date_trunc('day', t) as d, dateadd(day, -1, t) as y, datediff(day, a, b) as n,"
    " extract(year from t) as yr, date_part(year, t) as yr2 from s.t",
    "select round(x, 2) as r, strtol(h, 16) as v, nvl(a, 0) as a, coalesce(a, b, c) as c from s.t",
    "select first_value(a ignore nulls) over (partition by b order by c"
    " rows between unbounded preceding and unbounded following) as f from s.t",
    "select lag(a, 1) over (order by b) as prev,"
    " sum(a) over (partition by b order by c rows unbounded preceding) as running from s.t",
    "select top 5 a from s.t",
    "select a from s.t union all select a from s.u except select a from s.v",
    "select case when a ~ '^x' then 1 when a similar to 'y%' then 2 when a ilike 'z%' then 3 else 0 end as k"
    " from s.t",
    "select cast(a as varchar(256)) as a, b::decimal(12, 2) as b, c::timestamp as c, d::varchar(max) as d"
    " from s.t",
    "select getdate() as now, sysdate as also_now, current_date as today",
    "select trim(both ' ' from a) as a, substring(a from 1 for 2) as b, position('x' in a) as c,"
    " split_part(a, ',', 1) as d, regexp_substr(a, '[0-9]+') as e from s.t",
    "select t at time zone 'UTC' as utc, convert_timezone('UTC', 'US/Pacific', t) as local from s.t",
    "select json_extract_path_text(payload, 'a', 'b') as v from s.t",
    "select approximate count(distinct a) as n, count(distinct b) as m, median(c) as med from s.t",
    "select a from s.t as x inner join s.u as y using (a) left join s.v as z on y.b = z.b",
    "select a from s.t where exists (select 1 from s.u where u.a = t.a) and b in (1, 2)"
    " and c between 1 and 2 and d is not null",
    "select a from s.t where e > all (select e from s.u) and f = any (select f from s.u)",
    "select a from s.t full outer join s.u on t.a = u.a cross join s.v natural join s.w",
    "create table s.t (a integer not null, b varchar(10), c bigint) diststyle key distkey (a)"
    " compound sortkey (a, c)",
    "create temp table t as (select 1 as a)",
    "create view s.v as select a from s.t with no schema binding",
    "insert into s.t (a, b) values (1, 'x'), (2, 'y')",
    "delete from s.t using s.u where t.a = u.a",
    "update s.t set a = 1 from s.u where t.b = u.b",
    "grant select on s.t to group analysts",
    "alter table s.t rename to u",
    "select * from pg_get_late_binding_view_cols() cols(view_schema name, view_name name,"
    " col_name name, col_type varchar, col_num int)",
]


@pytest.mark.parametrize("sql", REDSHIFT_SQL)
def test_the_gate_accepts_what_redshift_documents(sql):
    assert redshift_problems(sql) == []


def test_every_allowlist_entry_names_its_page():
    import redshift_allowlist as allowed

    pages = [entry.page for entry in {**allowed.STATEMENTS, **allowed.NODES}.values()]
    pages += [function.page for function in allowed.FUNCTIONS.values()]
    pages += [data_type.page for data_type in allowed.TYPES.values()]
    pages += [url for _what, url in allowed.CATALOG_RELATIONS.values()]
    pages += [url for _pattern, _what, url in allowed.COMMANDS]
    addresses = [address for entry in pages for address in entry.split()]
    assert len(addresses) > 200
    assert all(
        re.fullmatch(r"https://docs\.aws\.amazon\.com/redshift/latest/dg/[\w.-]+\.html", a) for a in addresses
    )


def test_redshift_configs_of_the_models(manifest):
    nodes = {n["name"]: n for n in manifest["nodes"].values() if n["resource_type"] == "model"}
    staging = [n for name, n in nodes.items() if name.startswith("stg_")]
    assert len(staging) == 7
    assert all(n["config"]["bind"] is False for n in staging)
    # Views over the external tables, but for the small distribution centers: a table, read by the
    # nearest-center model and two checks of its ids, so that Spectrum scans the file once; and the
    # events, incremental by raw file, kept by event id on Redshift's slices.
    tables = {n["name"] for n in staging if n["config"]["materialized"] != "view"}
    assert tables == {"stg_thelook__distribution_centers", "stg_thelook__events"}
    assert nodes["stg_thelook__distribution_centers"]["config"]["materialized"] == "table"
    events = nodes["stg_thelook__events"]["config"]
    assert (events["materialized"], events["incremental_strategy"], events["unique_key"]) == (
        "incremental",
        "delete+insert",
        "event_id",
    )
    assert (events["dist"], events["sort"]) == ("event_id", "created_at")

    mart = nodes["customer_features"]["config"]
    assert (mart["dist"], mart["sort"]) == ("user_id", ["profit_level", "nearest_dc_id"])
    assert mart["grants"] == {"select": ["group:analysts"]}
    assert mart["contract"]["enforced"] is True
    assert [hook["sql"] for hook in mart["post-hook"]] == ["{{ grant_schema_usage() }}"]
    # Only the marts are granted to analysts (the mart, the view of its builds, the segment tables,
    # the metrics' time spine), and the snapshot of the mart, which they are told to query.
    marts = {name for name, n in nodes.items() if n["fqn"][1] == "marts"}
    assert marts == {
        "customer_features",
        "customer_features_builds",
        "customer_segment_history",
        "customer_segment_profiles",
        "customer_segment_runs",
        "customer_segments",
        "metricflow_time_spine",
    }
    assert all(nodes[name]["config"]["grants"] == {"select": ["group:analysts"]} for name in marts)
    assert nodes["customer_features_builds"]["config"]["materialized"] == "view"
    assert all(not n["config"].get("grants") for name, n in nodes.items() if name not in marts)
    (snapshot,) = [n for n in manifest["nodes"].values() if n["resource_type"] == "snapshot"]
    assert snapshot["config"]["grants"] == {"select": ["group:analysts"]}
    # The grant, besides the snapshot's own history hook (closing the versions of departed customers).
    assert "{{ grant_schema_usage() }}" in [hook["sql"] for hook in snapshot["config"]["post-hook"]]
    # The contract's text columns are declared as Redshift reports them.
    columns = nodes["customer_features"]["columns"]
    assert {name for name, column in columns.items() if column["data_type"] == "varchar(256)"} == {
        "country",
        "state",
        "nearest_dc_name",
        "most_traffic_source",
    }


GRANT_HOOK = "{{ grant_schema_usage() }}"


def concurrent_schema_grants(manifest: dict) -> list[tuple[str, str]]:
    """Pairs of nodes that each grant usage on the mart schema in a post-hook and that dbt may run
    at the same time: neither is upstream of the other. Concurrent GRANTs on one schema collide
    ("tuple concurrently updated" on PostgreSQL, the rehearsal's stand-in), so the granted
    relations must form one chain (models/marts/segments/customer_segment_history.sql)."""
    nodes = manifest["nodes"]
    granted = sorted(
        uid
        for uid, node in nodes.items()
        if GRANT_HOOK in [h["sql"] for h in node["config"].get("post-hook", [])]
    )
    upstream: dict[str, set[str]] = {}

    def ancestors(uid: str) -> set[str]:
        if uid not in upstream:
            upstream[uid] = set()
            for parent in nodes.get(uid, {}).get("depends_on", {}).get("nodes", []):
                upstream[uid] |= {parent, *ancestors(parent)}
        return upstream[uid]

    return [
        (a, b)
        for i, a in enumerate(granted)
        for b in granted[i + 1 :]
        if a not in ancestors(b) and b not in ancestors(a)
    ]


def test_the_schema_usage_grants_run_one_after_another(manifest):
    """Reads the manifest only: every relation that grants usage on the schema (the marts and the
    snapshot) is upstream or downstream of every other, so no two of their grants run at once."""
    granted = [
        uid
        for uid, n in manifest["nodes"].items()
        if GRANT_HOOK in [h["sql"] for h in n["config"].get("post-hook", [])]
    ]
    assert len(granted) == 8, granted  # seven marts and the snapshot
    assert concurrent_schema_grants(manifest) == []
    # Planted: the view of the builds without its place in the chain may grant beside the others.
    planted = json.loads(json.dumps(manifest))
    builds = planted["nodes"]["model.customer_mart.customer_features_builds"]
    builds["depends_on"]["nodes"].remove("model.customer_mart.metricflow_time_spine")
    assert concurrent_schema_grants(planted) != []
    assert all(
        "model.customer_mart.customer_features_builds" in pair for pair in concurrent_schema_grants(planted)
    )


def test_spectrum_schema_statement(redshift_project):
    result = redshift_project.run(
        "run-operation",
        "create_spectrum_schema",
        "--args",
        "{dry_run: true}",
        vars=COMPILE_VARS,
        launcher=OFFLINE,
    )
    statement = " ".join(result.stdout.split())
    assert (
        "create external schema if not exists thelook_raw from data catalog database 'customer_mart_raw'"
        " region 'eu-west-1' iam_role 'arn:aws:iam::123456789012:role/customer-mart-spectrum'"
    ) in statement


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ("{dry_run: true, schema: other_raw}", "differs from raw_schema"),
        ('{dry_run: true, iam_role: "arn:aws:iam::123456789012:role/x\' --"}', "not an IAM role ARN"),
    ],
)
def test_spectrum_schema_refuses_bad_settings(redshift_project, args, message):
    result = redshift_project.run(
        "run-operation",
        "create_spectrum_schema",
        "--args",
        args,
        vars=COMPILE_VARS,
        launcher=OFFLINE,
        check=False,
    )
    assert result.returncode != 0
    assert message in result.stdout


def connect_args(monkeypatch, **env: str) -> dict:
    """The arguments dbt-redshift hands redshift_connector for the redshift profile under `env`."""
    from dbt.adapters.redshift import connections
    from dbt.config.renderer import ProfileRenderer
    from dbt_common.context import set_invocation_context

    set_invocation_context({**REDSHIFT_ENV, **env})
    raw = yaml.safe_load((PROJECT_DIR / "profiles.yml.example").read_text())
    output = ProfileRenderer({}).render_data(raw["customer_mart"]["outputs"]["redshift"])
    fields = {key: value for key, value in output.items() if key not in {"type", "threads"}}
    credentials = connections.RedshiftCredentials.from_dict(
        connections.RedshiftCredentials.translate_aliases(fields)
    )
    captured: dict = {}
    monkeypatch.setattr(
        connections.redshift_connector,
        "connect",
        lambda **kwargs: captured.update(kwargs) or SimpleNamespace(),
    )
    connections.get_connection_method(credentials)()
    return captured


def test_profile_connects_to_serverless_with_iam(monkeypatch):
    args = connect_args(
        monkeypatch,
        REDSHIFT_AUTH_METHOD="iam",
        REDSHIFT_HOST="mart.123456789012.eu-west-1.redshift-serverless.amazonaws.com",
        REDSHIFT_USER="IAMR:customer-mart-dbt-runner",
        REDSHIFT_PASSWORD="",
        REDSHIFT_WORKGROUP="mart",
    )
    assert args["iam"] is True and args["is_serverless"] is True
    assert (args["serverless_work_group"], args["cluster_identifier"]) == ("mart", None)
    assert (args["database"], args["port"], args["region"]) == ("dev", 5439, "eu-west-1")
    assert args["password"] == "" and args["profile"] is None  # the AWS SDK's own credential chain


def test_profile_connects_to_a_cluster_with_iam_or_a_password(monkeypatch):
    iam = connect_args(monkeypatch, REDSHIFT_AUTH_METHOD="iam", REDSHIFT_CLUSTER_ID="example-cluster")
    assert (iam["iam"], iam["is_serverless"], iam["cluster_identifier"]) == (True, False, "example-cluster")
    assert iam["db_user"] == "placeholder_user"

    password = connect_args(monkeypatch)
    assert "iam" not in password and password["is_serverless"] is False
    assert (password["user"], password["password"]) == ("placeholder_user", "placeholder-password")
    assert password["ssl"] is True and password["host"] == REDSHIFT_ENV["REDSHIFT_HOST"]


def test_every_granted_relation_gets_the_same_normalised_group(tmp_path):
    """Reads the manifest only (dbt parse for redshift, offline, no SQL runs) and runs check_settings
    (run-operation, offline): with ANALYSTS_GROUP=" Analysts" the one +grants expression of
    dbt_project.yml gives the snapshot, the mart and every other granted relation the trimmed,
    lower-cased group that the macro analysts_group gives, and check_settings accepts it."""
    project = DbtProject(
        workdir=tmp_path,
        raw_dir=tmp_path / "no-raw-data",
        target="redshift",
        extra_env={**REDSHIFT_ENV, "ANALYSTS_GROUP": " Analysts"},
    )
    project.run("parse", vars=COMPILE_VARS, launcher=OFFLINE)
    nodes = json.loads((tmp_path / "target" / "manifest.json").read_text())["nodes"].values()
    granted = {n["name"]: n["config"]["grants"] for n in nodes if n["config"].get("grants")}
    (snapshot,) = [n["name"] for n in nodes if n["resource_type"] == "snapshot"]
    assert {snapshot, "customer_features", "customer_features_builds"} <= granted.keys()
    assert set(map(repr, granted.values())) == {repr({"select": ["group:analysts"]})}, granted
    checked = project.run("run-operation", "check_settings", launcher=OFFLINE, vars=COMPILE_VARS)
    assert checked.returncode == 0
