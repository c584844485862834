"""No silent week (issue 21, items 1 and 2): a build on stale raw data, or with a mistyped var,
stops with a message naming what is wrong, and leaves last week's mart and snapshot in place;
every build's log names the week it builds.

The freshness guard compares each raw table's newest row at or before as_of_date (from its
profile, no extra scan) with as_of_date, not with the clock. On DuckDB: the 2,000-user sample
(its newest rows are on the generator's `now`, 2026-06-30) built for its week, then two weeks
later with no new data, then with the override the message gives, then an old week on the same
files; and hand-made rows at the limit's edges. On PostgreSQL (loaded by `customer-mart load`):
the same week and the same stale build. Unit tests are left out of these builds; they do not read
the raw data (test_end_to_end.py runs them).
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
import math
import re
import shlex
import subprocess
import sys

import duckdb
import pytest
from conftest import BIN_DIR, PROJECT_DIR, cli_env
from raw_tables import ts, write_raw

WEEK = "2026-06-30"  # the generator's now: the newest rows are the evening before
TWO_WEEKS_LATER = "2026-07-14"
BUILD = ("build", "--exclude", "resource_type:unit_test")
TIMED = ("users", "orders", "order_items", "events", "inventory_items")
ARTEFACTS = ("run_results.json", "manifest.json")
MISTYPED = '--vars key "as_of_dat" is not a setting of this project'


def newest_rows(raw_dir, as_of: str) -> dict[str, dt.datetime]:
    """Each timed table's newest created_at at or before as_of_date, read from the files here."""
    newest = {}
    with duckdb.connect() as con:
        con.execute("set TimeZone = 'UTC'")
        for table in TIMED:
            newest[table] = con.execute(
                f"select max(created_at)::timestamp from read_parquet('{raw_dir}/{table}/**/*.parquet')"
                f" where created_at <= timestamptz '{as_of} 00:00:00+00'"
            ).fetchone()[0]
    return newest


def stale_message(newest: dict[str, dt.datetime], as_of: str, limit: int = 7) -> list[str]:
    """The lines raw_tables_fresh prints for these newest rows: one per table older than the limit."""
    start = dt.datetime.fromisoformat(as_of)
    lines = []
    for table in sorted(newest):
        age = (start - newest[table]).total_seconds() / 86400
        if age > limit:
            lines.append(
                f"raw table {table}: newest row {newest[table]:%Y-%m-%d %H:%M:%S} UTC (at or before"
                f" as_of_date {as_of}) is {round(age, 1)} days old, more than max_raw_table_age_days"
                f" ({limit}) allows"
            )
    return lines


def report_build():
    """scripts/report_build.py as a module (the weekly task's reporter)."""
    scripts = str(PROJECT_DIR / "scripts")
    if scripts not in sys.path:
        sys.path.insert(0, scripts)
    return importlib.import_module("report_build")


def plain(text: str) -> str:
    """dbt's output without its colours, and each message line without dbt's time prefix."""
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


@pytest.fixture(scope="module")
def weekly(session_dbt_project, small_generated_dir):
    """The 2,000-user sample built for its week: (project, mart rows, snapshot rows, stdout)."""
    project = session_dbt_project(small_generated_dir, file_format=None)  # detected, as by default
    result = project.run(*BUILD, vars={"as_of_date": WEEK})
    mart = project.query("select * from customer_features order by user_id")
    snapshot = project.query("select * from customer_features_snapshot order by user_id, dbt_valid_from")
    return project, mart, snapshot, plain(result.stdout)


def test_every_build_logs_its_week_and_raw_data(weekly, small_generated_dir):
    _, _, _, stdout = weekly
    assert (
        f"dbt build: target duckdb (duckdb), as_of_date {WEEK}, feature window 2025-06-30 to 2026-06-29,"
        f" raw data: folder {small_generated_dir}, parquet for every table (detected from the files)"
    ) in stdout


def test_two_weeks_without_new_data_stop_the_build(weekly, small_generated_dir):
    project, mart, snapshot, _ = weekly
    newest = newest_rows(small_generated_dir, TWO_WEEKS_LATER)
    expected = stale_message(newest, TWO_WEEKS_LATER)
    assert len(expected) == len(TIMED)  # every table is two weeks old
    days = math.ceil(
        max((dt.datetime.fromisoformat(TWO_WEEKS_LATER) - t).total_seconds() for t in newest.values()) / 86400
    )

    result = project.run(*BUILD, vars={"as_of_date": TWO_WEEKS_LATER}, check=False)
    stdout = plain(result.stdout)
    assert result.returncode != 0
    assert "Failure in test raw_tables_fresh (tests/monitoring/raw_tables_fresh.sql)" in stdout
    for line in expected:
        assert line in stdout, f"{line!r} not in:\n{stdout[-4000:]}"
    override = f"""--vars '{{as_of_date: "{TWO_WEEKS_LATER}", max_raw_table_age_days: {days}}}'"""
    assert f"to build on these files as they are, rerun with {override}." in stdout

    # The message is in run_results.json too (what an alert reads), and the mart was never touched.
    results = project.results()
    assert results["raw_tables_fresh"]["status"] == "error"
    assert expected[0] in results["raw_tables_fresh"]["message"]
    for node in ("customer_features", "customer_features_snapshot", "monitoring_mart_volumes"):
        assert results[node]["status"] == "skipped", node
    assert project.query("select * from customer_features order by user_id") == mart
    assert (
        project.query("select * from customer_features_snapshot order by user_id, dbt_valid_from") == snapshot
    )

    # The weekly task's alert (scripts/report_build.py), from this build's own run results: every
    # stale table, and the same override as the task's DBT_VARS (its week is AS_OF_DATE).
    report = report_build()
    target = project.workdir / "target"
    alert = report.failure_message(
        week=TWO_WEEKS_LATER,
        step="dbt build",
        exit_code=result.returncode,
        summary=report.summarise(*(json.loads((target / f).read_text()) for f in ARTEFACTS)),
        output=result.stdout,
        published=None,
        built=False,
        log="",
    )
    for line in expected:
        assert line in alert.body, alert.body
    assert f"AS_OF_DATE={TWO_WEEKS_LATER} and DBT_VARS='{{max_raw_table_age_days: {days}}}'." in alert.body

    # The override, exactly as printed, builds the week on these files.
    arguments = shlex.split(override)
    rerun = project.run(*BUILD, arguments[0], arguments[1], check=False)
    assert rerun.returncode == 0, plain(rerun.stdout)[-4000:]
    ends = project.query("select distinct feature_window_end as d from customer_features")
    assert ends == [{"d": dt.date.fromisoformat(TWO_WEEKS_LATER)}]


def test_an_old_week_rebuilds_on_todays_files(weekly):
    """Rows after as_of_date neither help nor hurt: an old week's rows are as fresh as they were."""
    project = weekly[0]
    result = project.run(
        "build", "--exclude", "resource_type:unit_test", "customer_features_snapshot",
        vars={"as_of_date": "2026-01-05"}, check=False,
    )  # fmt: skip
    assert result.returncode == 0, plain(result.stdout)[-4000:]
    assert project.results()["raw_tables_fresh"]["status"] == "pass"


def test_a_mistyped_var_stops_the_build(weekly):
    project = weekly[0]
    before = project.query("select * from customer_features order by user_id")
    result = project.run(*BUILD, vars={"as_of_dat": "2026-01-01"}, check=False)
    stdout = plain(result.stdout)
    assert result.returncode != 0
    assert f"{MISTYPED} (the nearest is as_of_date)" in stdout
    assert project.query("select * from customer_features order by user_id") == before


def test_the_limit_counts_rows_at_or_before_as_of_date_only(dbt_project, tmp_path):
    """Hand-made rows around as_of_date 2026-02-01 (limit 7 days: 2026-01-25 00:00): a row on
    the limit is fresh, a minute older is not; a later row does not make a table fresh; a table
    whose rows all come later has nothing for the week; an empty table is the volume guard's."""
    raw = tmp_path / "raw"
    later = ts("2026-03-01")
    write_raw(
        raw,
        {
            "users": [dict(id=1, created_at=ts("2026-01-31 12:00")), dict(id=2, created_at=later)],
            "orders": [dict(order_id=1, created_at=ts("2026-01-01")), dict(order_id=2, created_at=later)],
            "order_items": [dict(id=1, user_id=1, created_at=ts("2026-01-25 00:00"))],
            "events": [dict(id=1, user_id=1, created_at=ts("2026-01-24 23:59"))],
            "inventory_items": [dict(id=1, created_at=later)],
            "distribution_centers": [dict(id=1, name="Memphis TN", latitude=35.1, longitude=-90.0)],
        },
    )  # fmt: skip
    project = dbt_project(raw, empty_tables_expected=True)  # products: no rows, no time column
    result = project.run(
        "build", "--select", "+raw_tables_fresh", vars={"as_of_date": "2026-02-01"}, check=False
    )
    stdout = plain(result.stdout)
    assert result.returncode != 0
    assert project.results()["raw_tables_fresh"]["status"] == "error"
    message = project.results()["raw_tables_fresh"]["message"]
    assert [line.strip().split(":")[0] for line in message.splitlines()[1:4]] == [
        "raw table events",
        "raw table inventory_items",
        "raw table orders",
    ]
    days_old = "UTC (at or before as_of_date 2026-02-01) is {} days old"
    assert "raw table events: newest row 2026-01-24 23:59:00 " + days_old.format(7.0) in stdout
    assert "raw table orders: newest row 2026-01-01 00:00:00 " + days_old.format(31.0) in stdout
    assert "raw table inventory_items: no row with a created_at at or before as_of_date 2026-02-01" in stdout
    # The exact --vars: the build's own (the test's max_raw_table_shrink, then as_of_date) and "off".
    rerun = """--vars '{max_raw_table_shrink: 1, as_of_date: "2026-02-01", max_raw_table_age_days: "off"}'"""
    assert f"rerun with {rerun}." in message
    for fresh in ("users", "order_items", "products", "distribution_centers"):
        assert f"raw table {fresh}:" not in message

    # The history keeps what the guard read, for every table.
    rows = {r["table_name"]: r for r in project.query("select * from monitoring_raw_table_volumes")}
    assert rows["order_items"]["newest_row_at"] == dt.datetime(2026, 1, 25)
    assert rows["users"]["newest_row_at"] == dt.datetime(2026, 1, 31, 12)
    assert rows["inventory_items"]["newest_row_at"] is None
    assert rows["products"]["max_age_days"] is None and rows["events"]["max_age_days"] == 7


def test_freshness_and_vars_on_postgres(postgres_server, dbt_project, small_generated_dir):
    database = postgres_server.create_database("freshness")
    subprocess.run(
        [
            str(BIN_DIR / "customer-mart"),
            "load",
            "--target",
            "postgres",
            "--raw-dir",
            str(small_generated_dir),
        ],
        env=cli_env(**postgres_server.env(database)),
        check=True,
        capture_output=True,
    )
    env = {**postgres_server.env(database), "PGSCHEMA": "customer_mart", "RAW_SCHEMA": "thelook_raw"}
    project = dbt_project(small_generated_dir, target="postgres", extra_env=env)

    def mart() -> list[dict]:
        return postgres_server.query(
            database, "select * from customer_mart.customer_features order by user_id"
        )

    result = project.run(*BUILD, vars={"as_of_date": WEEK})
    assert (
        f"dbt build: target postgres (postgres), as_of_date {WEEK}, feature window 2025-06-30 to 2026-06-29,"
        " raw data: schema thelook_raw"
    ) in plain(result.stdout)
    before = mart()
    assert len(before) > 1900

    result = project.run(*BUILD, vars={"as_of_date": TWO_WEEKS_LATER}, check=False)
    stdout = plain(result.stdout)
    assert result.returncode != 0
    for line in stale_message(newest_rows(small_generated_dir, TWO_WEEKS_LATER), TWO_WEEKS_LATER):
        assert line in stdout, f"{line!r} not in:\n{stdout[-4000:]}"
    assert project.results()["customer_features"]["status"] == "skipped"
    assert mart() == before

    result = project.run(*BUILD, vars={"as_of_dat": TWO_WEEKS_LATER}, check=False)
    assert result.returncode != 0
    assert f"{MISTYPED} (the nearest is as_of_date)" in result.stdout
    assert mart() == before
