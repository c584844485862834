"""Volume guards with a run history: every build appends what it read and wrote to
monitoring_raw_table_volumes and monitoring_mart_volumes; an empty raw table, or one that shrank by
more than `max_raw_table_shrink` against the last successful build, stops the build before
customer_features is replaced (the previous mart stays), and a profit level whose share moved by
more than `max_profit_level_share_shift` warns. Each message says how to override. On DuckDB
(Parquet and CSV) and on PostgreSQL loaded by `customer-mart load`.

Unit tests are left out of these builds (`--exclude resource_type:unit_test`): they do not read
the raw data, and test_end_to_end.py runs them.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest
from conftest import BIN_DIR, cli_env

from customer_mart.benchmark import raw_scans

AS_OF = "2026-06-30"
BUILD = ("build", "--exclude", "resource_type:unit_test")


def mart(project) -> dict[int, tuple]:
    return {r["user_id"]: tuple(r.values()) for r in project.query("select * from customer_features")}


def keep_rows(path: Path, share_kept: float) -> None:
    """Rewrite one Parquet file with only its first rows (0: none, the header only)."""
    with duckdb.connect() as con:
        rows = con.execute(f"select count(*) from read_parquet('{path}')").fetchone()[0]
        con.execute(
            f"copy (select * from read_parquet('{path}') limit {int(rows * share_kept)}) "
            f"to '{path}.tmp' (format parquet)"
        )
    Path(f"{path}.tmp").replace(path)


def build(project, check: bool = True, as_of: str = AS_OF, **vars) -> subprocess.CompletedProcess:
    return project.run(*BUILD, vars={"as_of_date": as_of, **vars}, check=check)


COUNTED = (
    "checks_passed",
    "checks_warned",
    "checks_failed",
    "checks_skipped",
    "nodes_failed",
    "nodes_skipped",
)


def counts_in_run_results(project) -> dict[str, int]:
    """The last command's check and node counts, from dbt's own run_results.json, as the on-run-end
    hook record_build_results is meant to count them."""
    run = json.loads((project.workdir / "target" / "run_results.json").read_text())
    counts = dict.fromkeys(COUNTED, 0)
    checks = {
        "pass": "checks_passed",
        "warn": "checks_warned",
        "fail": "checks_failed",
        "error": "checks_failed",
    }
    for result in run["results"]:
        kind, status = result["unique_id"].split(".")[0], result["status"]
        if kind in {"test", "unit_test"}:
            counts[checks.get(status, "checks_skipped")] += 1
        elif kind in {"model", "seed", "snapshot", "operation"} and status in {"error", "skipped"}:
            counts["nodes_failed" if status == "error" else "nodes_skipped"] += 1
    return {"invocation_id": run["metadata"]["invocation_id"], **counts}


def recorded_builds(query) -> list[dict]:
    """monitoring_build_results, oldest first, as the counts above."""
    rows = query(
        f"select invocation_id, {', '.join(COUNTED)} from monitoring_build_results order by run_started_at"
    )
    return [{k: (v if k == "invocation_id" else int(v)) for k, v in row.items()} for row in rows]


def stopped_by_guard(result: subprocess.CompletedProcess, project, table: str, as_of: str = AS_OF) -> None:
    assert result.returncode != 0
    assert f"raw table {table}: " in result.stdout
    # The exact --vars of the rerun: the build's own (its as_of_date) and the override.
    assert f"""rerun with --vars '{{as_of_date: "{as_of}", max_raw_table_shrink: 1}}'.""" in result.stdout
    results = project.results()
    assert results["raw_tables_not_empty_or_shrunk"]["status"] == "error"
    assert f"raw table {table}: " in results["raw_tables_not_empty_or_shrunk"]["message"]
    assert results["customer_features"]["status"] == "skipped"


@pytest.fixture
def parquet_project(dbt_project, small_generated_dir, tmp_path):
    raw = tmp_path / "raw"
    shutil.copytree(small_generated_dir, raw)
    return dbt_project(raw)


def test_history_and_shrink_guard_on_duckdb(parquet_project):
    project = parquet_project
    build(project)
    # The same build reads each raw table at most twice (customer_mart.benchmark.raw_scans, from its
    # artefacts): its profile and the one model that stages it for the features.
    scans = raw_scans.summary(raw_scans.raw_scans(project.workdir / "target"))
    assert {table: counts["full"] for table, counts in scans.items()} == {
        "distribution_centers": 2,
        "events": 2,
        "inventory_items": 2,
        "order_items": 2,
        "orders": 1,
        "products": 1,
        "users": 2,
    }
    builds = [counts_in_run_results(project)]
    build(project)  # a rerun on the same data passes and adds a run
    builds.append(counts_in_run_results(project))
    runs = project.query(
        "select invocation_id, count(*) as tables, min(rows_read) as fewest,"
        " count(previous_rows_read) as compared from monitoring_raw_table_volumes"
        " group by invocation_id order by min(run_started_at)"
    )
    assert [(r["tables"], r["compared"]) for r in runs] == [(7, 0), (7, 7)]
    assert all(r["fewest"] > 0 for r in runs)
    shares = project.query("select * from monitoring_mart_volumes order by run_started_at")
    assert len(shares) == 2 and shares[0]["rows_written"] == shares[1]["rows_written"] > 0
    total = sum(shares[1][f"profit_level_{level}_share"] for level in (1, 2, 3))
    assert abs(total - 1) < 1e-9
    assert shares[1]["previous_profit_level_1_share"] == shares[0]["profit_level_1_share"]
    before = mart(project)

    # Users shrink to a third: stopped, the mart as it was.
    users = next((project.raw_dir / "users").glob("*.parquet"))
    original = users.read_bytes()
    keep_rows(users, 1 / 3)
    result = build(project, check=False)
    stopped_by_guard(result, project, "users")
    assert mart(project) == before
    # Every build is in the run history with its checks, the stopped one too (on-run-end runs after
    # a failure); the analysts' view has the builds that wrote the mart, and the last is still in it.
    builds.append(counts_in_run_results(project))
    assert builds[0]["checks_passed"] > 100 and builds[0]["checks_failed"] == 0
    assert builds[2]["checks_failed"] == 1 and builds[2]["nodes_skipped"] > 0
    assert recorded_builds(project.query) == builds
    view = project.query(
        "select invocation_id, as_of_date, customers, checks_passed, checks_failed"
        " from customer_features_builds order by build_started_at"
    )
    assert [row["invocation_id"] for row in view] == [b["invocation_id"] for b in builds[:2]]
    assert view[-1]["customers"] == len(before) and str(view[-1]["as_of_date"]) == AS_OF
    assert view[-1]["checks_passed"] == builds[1]["checks_passed"]

    # The failed build does not become the reference: still compared with the last good one.
    result = build(project, check=False)
    stopped_by_guard(result, project, "users")
    assert "read 2000" in result.stdout

    # A 0-row Parquet file: stopped, naming the table.
    keep_rows(users, 0)
    result = build(project, check=False)
    stopped_by_guard(result, project, "users")
    assert "raw table users: 0 rows read" in result.stdout
    assert mart(project) == before

    # Deliberate: the override lets the shrunk table through.
    users.write_bytes(original)
    keep_rows(users, 1 / 3)
    build(project, max_raw_table_shrink=1)
    assert len(mart(project)) < len(before)


def test_share_shift_warns(parquet_project):
    project = parquet_project
    build(project)
    # 40% of the order items gone (within the shrink allowed): fewer customers at levels 2 and 3.
    items = next((project.raw_dir / "order_items").glob("*.parquet"))
    keep_rows(items, 0.6)
    # The next weeks (a rebuild of the same week after a change is another issue's: the snapshot),
    # on the same files: no new rows, so the freshness guard is told (as an operator would).
    stale = {"max_raw_table_age_days": 21}  # the newest rows are from 2026-06-28 and 29
    result = build(project, as_of="2026-07-07", max_profit_level_share_shift=0.01, **stale)
    assert project.results()["warn_profit_level_shares_moved"]["status"] == "warn"
    assert "customer_features: profit level 1 holds" in result.stdout
    assert (
        """rerun with --vars '{as_of_date: "2026-07-07", max_profit_level_share_shift: 1,"""
        """ max_raw_table_age_days: 21}'"""
    ) in result.stdout
    # With the default (ten points) the same move is within bounds.
    build(project, as_of="2026-07-14", **stale)
    assert project.results()["warn_profit_level_shares_moved"]["status"] == "pass"


@pytest.mark.parametrize("value", ["abc", "1.5", "-0.1"])
def test_guard_vars_are_checked(parquet_project, value):
    result = parquet_project.run("compile", vars={"max_raw_table_shrink": value}, check=False)
    assert result.returncode != 0
    assert (
        f'setting max_raw_table_shrink (var max_raw_table_shrink) is "{value}": '
        "must be a number from 0 to 1 (a share: 0.5 is 50%)"
    ) in result.stdout


def test_header_only_csv_stops_the_build(dbt_project, official_sample_dir, tmp_path):
    raw = tmp_path / "raw"
    shutil.copytree(official_sample_dir, raw)
    project = dbt_project(raw, file_format="csv")
    build(project)
    before = mart(project)
    users = next((raw / "users").glob("*.csv"))
    users.write_text(users.read_text().splitlines(keepends=True)[0])
    result = build(project, check=False)
    stopped_by_guard(result, project, "users")
    assert "raw table users: 0 rows read" in result.stdout
    assert mart(project) == before


def test_shrink_guard_on_postgres(postgres_server, dbt_project, small_generated_dir, tmp_path):
    raw = tmp_path / "raw"
    shutil.copytree(small_generated_dir, raw)
    database = postgres_server.create_database("volume_guards")

    def load() -> None:
        subprocess.run(
            [str(BIN_DIR / "customer-mart"), "load", "--target", "postgres", "--raw-dir", str(raw)],
            env=cli_env(**postgres_server.env(database)),
            check=True,
            capture_output=True,
        )

    def rows() -> dict[int, tuple]:
        found = postgres_server.query(database, "select * from customer_mart.customer_features")
        return {r["user_id"]: tuple(r.values()) for r in found}

    env = {**postgres_server.env(database), "PGSCHEMA": "customer_mart", "RAW_SCHEMA": "thelook_raw"}
    project = dbt_project(raw, target="postgres", extra_env=env)
    load()
    build(project)
    before = rows()
    for path in (raw / "events").glob("*.parquet"):  # every file: the generator writes several
        keep_rows(path, 0.4)
    load()
    result = build(project, check=False)
    stopped_by_guard(result, project, "events")
    assert rows() == before
    history = postgres_server.query(
        database, "select count(*) as n from customer_mart.monitoring_raw_table_volumes"
    )
    assert history[0]["n"] == 14
    # The on-run-end hook's rows are committed on PostgreSQL too: both builds, the stopped one failed.
    recorded = recorded_builds(
        lambda sql: postgres_server.query(database, sql.replace(" from ", " from customer_mart.", 1))
    )
    assert [b["checks_failed"] for b in recorded] == [0, 1]
    assert recorded[-1] == counts_in_run_results(project)
