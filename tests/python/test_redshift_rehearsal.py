"""A dress rehearsal of the weekly Redshift run: the real dbt-redshift adapter runs
`run-operation create_spectrum_schema`, `dbt build --target redshift` (seeds, models, data tests,
unit tests, the snapshot) and a second, incremental build, against redshift_stand_in.py's
connection, which forwards every statement to a throwaway PostgreSQL server after a small,
documented rewrite of what only Redshift has.

What it proves: the adapter's whole build runs, every data test and unit test passes for real,
the mart equals the DuckDB mart of the same raw files row by row, the grants reach the analysts'
group, and every statement the adapter sent in both builds, and every unit-test fixture, passes
redshift_rules.py's gate: each construct in its tree (statement kind, clause, function and its
arguments, type, operator, system relation) is on the allow-list of what AWS's Redshift reference
documents (redshift_allowlist.py, each entry with its page), it holds nothing from the deny-lists
(unsupported PostgreSQL functions and features, DuckDB's functions, the known traps), and it parses
with sqlfluff's Redshift grammar too. The statement checks only read text.

Nothing had to be left out: every statement the adapter sent ran on PostgreSQL, after the
rewrites and shims listed in redshift_stand_in.py.

What it cannot: Spectrum reading the Parquet files (the raw tables are plain PostgreSQL tables here,
typed as infra/glue.tf declares them: bigint, double, text, timestamps without zone in UTC), IAM and
the workgroup (no connection is made to AWS), and Redshift's own type names and semantics where
PostgreSQL's differ (types reach dbt as PostgreSQL reports them). Those need a real cluster.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest
import redshift_rules
from conftest import PROJECT_DIR, DbtProject
from redshift_stand_in import install_shims, read_log
from test_freshness import newest_rows
from test_postgres import assert_same_marts, load_with_cli
from test_redshift_offline import REDSHIFT_ENV

from customer_mart.schema import COLUMNS, TIMESTAMP

STAND_IN = [sys.executable, str(Path(__file__).with_name("redshift_stand_in.py"))]
DATABASE = "rehearsal"
RAW_SCHEMA = "thelook_raw"
MART_SCHEMA = "customer_mart"
ANALYSTS = "analysts"
VARS = {"as_of_date": "2026-06-30"}
ARTIFACTS = PROJECT_DIR / "test-artifacts" / "redshift-rehearsal"


def load_raw_as_spectrum_reads_it(server, raw_dir: Path) -> None:
    """The raw tables typed as the Glue tables declare them, and the admin's one-time steps: the
    loader's tables, their timestamps turned into timestamps without zone in UTC (Spectrum's
    `timestamp`), the analysts' group, the stand-in's catalog shims."""
    server.create_database(DATABASE)
    load_with_cli(server, DATABASE, raw_dir)
    connection = server.connect(DATABASE)
    try:
        with connection.cursor() as cursor:
            for table, columns in COLUMNS.items():
                for name, kind in columns:
                    if kind == TIMESTAMP:
                        cursor.execute(
                            f"alter table {RAW_SCHEMA}.{table} alter column {name} type timestamp"
                            f" using {name} at time zone 'UTC'"
                        )
            cursor.execute(f"drop role if exists {ANALYSTS}")
            cursor.execute(f"create group {ANALYSTS}")
        connection.commit()
        install_shims(connection)
    finally:
        connection.close()


@pytest.fixture(scope="module")
def rehearsal(postgres_server, small_generated_dir, small_warehouse, tmp_path_factory):
    """The whole rehearsal, run once: the three Redshift-adapter steps on the small generated data,
    with DuckDB's mart of the same files and as_of_date (conftest's small_warehouse) beside it."""
    workdir = tmp_path_factory.mktemp("redshift-rehearsal")
    load_raw_as_spectrum_reads_it(postgres_server, small_generated_dir)
    postgres = {"host": postgres_server.host, "port": postgres_server.port, "user": postgres_server.user}
    env = {
        **REDSHIFT_ENV,
        "REDSHIFT_DATABASE": DATABASE,
        "REDSHIFT_SCHEMA": MART_SCHEMA,
        "RAW_SCHEMA": RAW_SCHEMA,
        "ANALYSTS_GROUP": ANALYSTS,
        "STAND_IN_POSTGRES": json.dumps({**postgres, "dbname": DATABASE}),
    }
    redshift = DbtProject(workdir=workdir, raw_dir=small_generated_dir, target="redshift")
    outcome = {
        "duckdb_rows": small_warehouse.query("select * from customer_features order by user_id"),
        "manifest": workdir / "target" / "manifest.json",
        "server": postgres_server,
        "logs": {},
        "ok": {},
        "output": {},
        "started": {},
        "results": {},
        "marts": {},
    }
    steps = {
        "spectrum": ["run-operation", "create_spectrum_schema"],
        "build": ["build"],
        "incremental": ["build"],
    }
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for step, args in steps.items():
        log = outcome["logs"][step] = workdir / f"statements-{step}.jsonl"
        redshift.extra_env = {**env, "STAND_IN_LOG": str(log)}
        result = redshift.run(*args, vars=VARS, launcher=STAND_IN, check=False)
        outcome["ok"][step] = result.returncode == 0
        outcome["output"][step] = result.stdout[-8000:] + result.stderr[-4000:]
        outcome["started"][step] = [line for line in result.stdout.splitlines() if "target redshift" in line]
        if log.exists():
            shutil.copy(log, ARTIFACTS / log.name)
        if step != "spectrum":
            outcome["results"][step] = json.loads((workdir / "target" / "run_results.json").read_text())[
                "results"
            ]
            if result.returncode == 0:
                outcome["marts"][step] = postgres_server.query(
                    DATABASE, f"select * from {MART_SCHEMA}.customer_features order by user_id"
                )
    return outcome


def test_create_spectrum_schema_runs_and_records_the_glue_database(rehearsal):
    assert rehearsal["ok"]["spectrum"], rehearsal["output"]["spectrum"]
    sent = [entry["sql"] for entry in read_log(rehearsal["logs"]["spectrum"])]
    assert any(
        "create external schema if not exists thelook_raw from data catalog" in " ".join(s.split())
        for s in sent
    )
    found = rehearsal["server"].query(
        DATABASE, f"select databasename from svv_external_schemas where schemaname = '{RAW_SCHEMA}'"
    )
    assert found == [{"databasename": REDSHIFT_ENV["GLUE_DATABASE"]}]


def test_the_build_logs_its_week_and_the_glue_database(rehearsal):
    """The start-of-build line (log_build_start) reads the external schema's Glue database from
    svv_external_schemas, as Redshift records it."""
    assert [line.split("  ", 1)[-1] for line in rehearsal["started"]["build"]] == [
        "dbt build: target redshift (redshift), as_of_date 2026-06-30, feature window 2025-06-30 to"
        f" 2026-06-29, raw data: external schema {RAW_SCHEMA}"
        f" over Glue database {REDSHIFT_ENV['GLUE_DATABASE']}"
    ]


def test_the_freshness_guard_reads_each_tables_newest_row(rehearsal, small_generated_dir):
    """The freshness guard ran in both builds and passed, on the newest rows the profiles computed
    in Redshift SQL: the same instants as read from the files (at or before as_of_date)."""
    for step in ("build", "incremental"):
        statuses = {r["unique_id"]: r["status"] for r in rehearsal["results"][step]}
        assert statuses["test.customer_mart.raw_tables_fresh"] == "pass", step
    recorded = rehearsal["server"].query(
        DATABASE,
        "select distinct table_name, newest_row_at, max_age_days"
        f" from {MART_SCHEMA}.monitoring_raw_table_volumes where newest_row_at is not null",
    )
    expected = newest_rows(small_generated_dir, VARS["as_of_date"])
    assert {r["table_name"]: r["newest_row_at"] for r in recorded} == expected
    assert {r["max_age_days"] for r in recorded} == {7}


@pytest.mark.parametrize("step", ["build", "incremental"])
def test_every_model_data_test_unit_test_and_the_snapshot_pass(rehearsal, step):
    assert rehearsal["ok"][step], rehearsal["output"][step]
    results = rehearsal["results"][step]
    ran = Counter(result["unique_id"].split(".")[0] for result in results)
    assert ran["model"] >= 15 and ran["test"] >= 50 and ran["unit_test"] >= 20, ran
    assert ran["seed"] == 1 and ran["snapshot"] == 1, ran
    failed = [r["unique_id"] for r in results if r["status"] in {"error", "fail", "runtime error", "skipped"}]
    assert not failed, failed
    # The cases of text timestamps with an offset are disabled on Redshift; their rules' other
    # cases, in zone-less UTC, run.
    unit_tests = {r["unique_id"].split(".")[-1] for r in results if r["unique_id"].startswith("unit_test.")}
    assert not unit_tests & {
        "users_timestamps_with_an_offset_are_converted_to_utc",
        "events_are_counted_on_their_utc_day",
    }
    assert {"users_are_cleaned_and_kept_once", "events_without_user_or_source_are_ignored"} <= unit_tests


@pytest.mark.parametrize("step", ["build", "incremental"])
def test_the_mart_equals_the_duckdb_mart(rehearsal, step):
    assert rehearsal["ok"][step], rehearsal["output"][step]
    assert len(rehearsal["duckdb_rows"]) > 1900
    assert_same_marts(rehearsal["duckdb_rows"], rehearsal["marts"][step])


def test_the_second_build_is_incremental(rehearsal):
    """The events table is updated in place (delete+insert of the recomputed days), not rebuilt."""
    assert rehearsal["ok"]["incremental"], rehearsal["output"]["incremental"]
    sent = [
        e["sql"].lower()
        for e in read_log(rehearsal["logs"]["incremental"])
        if "int_events_daily_by_source" in e["node"]
    ]
    assert any("delete from" in s for s in sent) and any("insert into" in s for s in sent), "no delete+insert"
    first = [
        e["sql"].lower()
        for e in read_log(rehearsal["logs"]["build"])
        if "int_events_daily_by_source" in e["node"]
    ]
    # The first build creates the table; its only delete is the post-hook that drops zero-count rows.
    assert any("create table" in s for s in first)
    assert not any("delete from" in s and "event_count = 0" not in s for s in first)


def test_the_marts_and_the_snapshot_are_granted_to_analysts_and_nothing_else(rehearsal):
    assert rehearsal["ok"]["build"], rehearsal["output"]["build"]
    granted = rehearsal["server"].query(
        DATABASE,
        f"""select relation_name from svv_relation_privileges
        where namespace_name = '{MART_SCHEMA}' and identity_name = '{ANALYSTS}'
          and identity_type = 'group' and privilege_type = 'select'
        order by 1""",
    )
    assert [row["relation_name"] for row in granted] == [
        "customer_features",
        "customer_features_builds",
        "customer_features_snapshot",
        "customer_segment_history",
        "customer_segment_profiles",
        "customer_segment_runs",
        "customer_segments",
        "metricflow_time_spine",
    ]
    usage = rehearsal["server"].query(
        DATABASE, f"select has_schema_privilege('{ANALYSTS}', '{MART_SCHEMA}', 'usage') as usage"
    )
    assert usage == [{"usage": True}]
    # The view of the builds: both builds wrote the mart, and the on-run-end hook's check counts,
    # sent through dbt-redshift, are there (committed) for each.
    builds = rehearsal["server"].query(
        DATABASE,
        f"""select as_of_date, customers, checks_passed, checks_failed
        from {MART_SCHEMA}.customer_features_builds order by build_started_at""",
    )
    assert len(builds) == 2 and all(b["customers"] == len(rehearsal["duckdb_rows"]) for b in builds)
    assert all(b["checks_passed"] > 0 and b["checks_failed"] == 0 for b in builds), builds


# Statements checked by sqlfluff once per shape: literals, quoted names and numbers do not change
# how a statement parses (sqlglot, which is fast, reads every statement whole).
def _shape(sql: str) -> str:
    sql = re.sub(r"'(?:[^']|'')*'", "''", sql)
    sql = re.sub(r'"[^"]*"', '"x"', sql)
    sql = re.sub(r"\b\d+(?:\.\d+)?\b", "0", sql)
    return " ".join(sql.split())


def _parsable(sql: str) -> str:
    """The statement as the parsers read it: the seed's bind markers (%s) as values."""
    return sql.replace("%s", "null")


def statement_problems(entries: list[dict], with_sqlfluff: bool = True) -> dict[str, set[str]]:
    """{node: problems} over the statements a run sent: redshift_rules on every distinct statement,
    sqlfluff on every distinct shape. Casts to text without length count for the project's own
    SQL: models and data tests (the unit tests' fixtures are checked from the manifest)."""
    failures: dict[str, set[str]] = {}
    seen: set[str] = set()
    shapes: dict[str, str] = {}
    for entry in entries:
        sql, node = _parsable(entry["sql"]), entry["node"]
        if sql in seen:
            continue
        seen.add(sql)
        found = redshift_rules.problems(sql, text_casts=node.split(".")[0] in {"model", "test"})
        if found:
            failures.setdefault(node, set()).update(found)
        shapes.setdefault(_shape(sql), (node, sql))
    if with_sqlfluff:
        # sqlfluff takes a fraction of a second a statement: two processes.
        with ProcessPoolExecutor(max_workers=2) as pool:
            checked = pool.map(
                redshift_rules.sqlfluff_problems, [sql for _, sql in shapes.values()], chunksize=8
            )
            for (node, _), found in zip(shapes.values(), checked, strict=True):
                if found:
                    failures.setdefault(node, set()).update(found)
    return failures


def report(failures: dict[str, set[str]]) -> str:
    return "not valid for Redshift:\n" + "\n".join(
        f"  {node}: {'; '.join(sorted(found))}" for node, found in sorted(failures.items())
    )


def test_every_statement_the_adapter_sent_is_redshift_sql(rehearsal):
    entries = [
        entry for step in ("spectrum", "build", "incremental") for entry in read_log(rehearsal["logs"][step])
    ]
    assert len(entries) > 500 and all(entry["error"] is None for entry in entries)
    kinds = Counter(entry["node"].split(".")[0] for entry in entries)
    assert all(kinds[kind] for kind in ("model", "test", "unit_test", "snapshot", "seed")), kinds
    failures = statement_problems(entries)
    assert not failures, report(failures)


def test_the_unit_test_fixtures_are_redshift_sql(rehearsal):
    """The fixtures written as SQL, checked as written (dbt runs each as a `create temporary table
    ... as`); the fixtures written as rows reach Redshift as dbt's casts, among the recorded
    statements of the unit tests."""
    manifest = json.loads(rehearsal["manifest"].read_text())
    fixtures = {
        f"unit_test {test['name']}, fixture {given['input']}": given["rows"]
        for test in manifest["unit_tests"].values()
        for given in test["given"]
        if given.get("format") == "sql"
    }
    assert len(fixtures) >= 3
    failures = {
        name: set(redshift_rules.problems(sql) + redshift_rules.sqlfluff_problems(sql))
        for name, sql in fixtures.items()
    }
    failures = {name: found for name, found in failures.items() if found}
    assert not failures, report(failures)


def test_the_checks_name_the_node_of_a_planted_bad_statement():
    entries = [
        {
            "node": "model.customer_mart.good",
            "sql": "create table t as (select cast(a as varchar(65535)) as a from s)",
        },
        {
            "node": "unit_test.customer_mart.m.series",
            "sql": "select n from generate_series(1, 500) as numbers (n)",
        },
        {
            "node": "model.customer_mart.offset",
            "sql": "select cast('2024-01-02 01:00:00+02' as timestamp) as t",
        },
        {"node": "test.customer_mart.rate", "sql": "select count(returned) / count(*) as rate from items"},
        {"node": "model.customer_mart.short", "sql": "create table t (a varchar, b varchar(10))"},
        {"node": "model.customer_mart.duckdb", "sql": "select mode(a) as a from read_parquet('x.parquet')"},
        {"node": "model.customer_mart.broken", "sql": "select a from t where"},
        {
            "node": "test.customer_mart.profile",
            "sql": "select row_number() over versions as version_rank from s.t"
            " window versions as (partition by k order by created_at desc nulls last)",
        },
    ]
    failures = statement_problems(entries)
    assert "model.customer_mart.good" not in failures
    message = report(failures)
    assert "test.customer_mart.profile: " in message and "WINDOW clause (a named window)" in message
    assert "unit_test.customer_mart.m.series: calls generate_series()" in message
    assert "model.customer_mart.offset: a timestamp literal with a UTC offset" in message
    assert "test.customer_mart.rate: divides counts without a cast" in message
    assert "model.customer_mart.short: varchar/text without a length" in message and "column a" in message
    assert "mode()" in message and "read_parquet()" in message
    broken = " ".join(sorted(failures["model.customer_mart.broken"]))
    assert "does not parse as Redshift SQL (sqlglot)" in broken and "(sqlfluff)" in broken
    # The second grammar alone also refuses what is not Redshift SQL.
    assert redshift_rules.sqlfluff_problems("select a from t where")
    assert not redshift_rules.sqlfluff_problems("select cast(a as varchar(65535)) as a from s")
