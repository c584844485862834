"""The weekly incremental run gives the same mart as a full refresh on the same data."""

from __future__ import annotations

import datetime as dt
import shutil
import sys
from pathlib import Path

import duckdb
import pytest
from conftest import PROJECT_DIR
from raw_tables import ts, write_raw, write_raw_file

sys.path.insert(0, str(PROJECT_DIR / "bench"))

from weekly_delivery import deliver_week  # noqa: E402

FIRST_AS_OF = dt.date(2026, 6, 30)  # the generated data runs up to this day
NEXT_AS_OF = FIRST_AS_OF + dt.timedelta(days=7)


def test_weekly_incremental_run_equals_a_full_refresh(dbt_project, small_generated_dir, tmp_path):
    raw = tmp_path / "raw"
    shutil.copytree(small_generated_dir, raw)
    # One event wrongly dated in 2100: it must not count as the last day built.
    events = (raw / "events").as_posix()
    with duckdb.connect() as con:
        con.execute(
            "copy (select * replace (id + 100000000 as id, timestamptz '2100-01-01 12:00+00' as created_at) "
            f"from read_parquet('{events}/*.parquet') where user_id is not null order by id limit 1) "
            f"to '{events}/events-future.parquet' (format parquet)"
        )

    weekly = dbt_project(raw)
    weekly.run("run", vars={"as_of_date": FIRST_AS_OF.isoformat()})

    # Next week's file, with late, re-delivered and corrected events in generous shares so that
    # every case occurs in this small dataset.
    delivered = deliver_week(raw, FIRST_AS_OF, late=0.3, again=0.3, again_older=0.02, corrected=0.3)
    assert all(delivered.values()), delivered

    # Every test passes; the source checks warn about the re-delivered and corrected copies. Only
    # the events got a new week: the other tables' newest rows are a week old, and the freshness
    # guard is told so, as an operator would.
    result = weekly.run("build", vars={"as_of_date": NEXT_AS_OF.isoformat(), "max_raw_table_age_days": 14})
    assert " ERROR=0 " in result.stdout
    # The run was incremental: it recomputed from the last built day minus the 3-day lookback.
    last_built_day = FIRST_AS_OF - dt.timedelta(days=1)
    recompute_from = last_built_day - dt.timedelta(days=3)
    assert f"cast('{recompute_from}' as timestamp)" in dbt_sql(weekly.workdir, "compiled")
    assert "delete from" in dbt_sql(weekly.workdir, "run")

    fresh = dbt_project(raw)
    fresh.run("run", "--full-refresh", vars={"as_of_date": NEXT_AS_OF.isoformat()})

    daily = "select * from int_events_daily_by_source order by all"
    assert weekly.query(daily) == fresh.query(daily)
    mart = "select * from customer_features order by user_id"
    assert weekly.query(mart) == fresh.query(mart)

    # The new week was counted, up to its last day.
    days = weekly.query("select distinct event_date as day from int_events_daily_by_source")
    assert {NEXT_AS_OF - dt.timedelta(days=1), dt.date(2100, 1, 1)} <= {row["day"] for row in days}


def dbt_sql(workdir: Path, kind: str) -> str:
    """int_events_daily_by_source's last `compiled` select, or the statements dbt `run` for it."""
    return next((workdir / "target" / kind).rglob("int_events_daily_by_source.sql")).read_text()


def test_weekly_incremental_run_on_postgres(dbt_project, postgres_server, small_generated_dir, tmp_path):
    """The same on PostgreSQL: delete+insert of the recounted days, raw tables reloaded each week."""
    from test_postgres import MART_SCHEMA, RAW_SCHEMA, load_with_cli

    raw = tmp_path / "raw"
    shutil.copytree(small_generated_dir, raw)

    def project(database: str):
        postgres_server.create_database(database)
        load_with_cli(postgres_server, database, raw)
        env = {**postgres_server.env(database), "PGSCHEMA": MART_SCHEMA, "RAW_SCHEMA": RAW_SCHEMA}
        return dbt_project(raw, target="postgres", extra_env=env)

    weekly = project("weekly")
    weekly.run("run", vars={"as_of_date": FIRST_AS_OF.isoformat()})
    deliver_week(raw, FIRST_AS_OF, late=0.3, again=0.3, again_older=0.02, corrected=0.3)
    load_with_cli(postgres_server, "weekly", raw)
    weekly.run("run", vars={"as_of_date": NEXT_AS_OF.isoformat()})
    # The re-delivered copies of older events are identical: the recount starts at the lookback.
    recompute_from = FIRST_AS_OF - dt.timedelta(days=4)
    assert f"cast('{recompute_from}' as timestamp)" in dbt_sql(weekly.workdir, "compiled")

    fresh = project("fresh")
    fresh.run("run", "--full-refresh", vars={"as_of_date": NEXT_AS_OF.isoformat()})

    for sql in (
        f"select * from {MART_SCHEMA}.int_events_daily_by_source order by 1, 2, 3",
        f"select * from {MART_SCHEMA}.customer_features order by user_id",
    ):
        assert postgres_server.query("weekly", sql) == postgres_server.query("fresh", sql)
    last_day = f"select max(event_date) as day from {MART_SCHEMA}.int_events_daily_by_source"
    assert postgres_server.query("weekly", last_day)[0]["day"] == NEXT_AS_OF - dt.timedelta(days=1)


# --- The events model follows the raw files: every change gives what a fresh build gives --------
#
# Tiny raw folders written in code (raw_tables.py): a few users' events on days around
# LAST_DAY, each scenario a sequence of deliveries. After each incremental run, the events model
# must equal both the reference count below and, at the end, a fresh build of the same files.

LAST_DAY = dt.date(2026, 6, 29)  # the last day of the first delivery


def event(event_id: int, user_id: int | None, source: str | None, day: dt.date, hour: int = 12) -> dict:
    return dict(
        id=event_id,
        user_id=user_id,
        traffic_source=source,
        created_at=dt.datetime.combine(day, dt.time(hour), tzinfo=dt.UTC),
    )


def days_before(days: int) -> dt.date:
    return LAST_DAY - dt.timedelta(days=days)


def first_delivery() -> list[dict]:
    """Three users, one event a day each for 40 days up to LAST_DAY (ids 1..120)."""
    sources = ["Email", "Adwords", "Facebook"]
    return [
        event(day * 3 + user, user + 1, sources[(day + user) % 3], days_before(39 - day))
        for day in range(40)
        for user in range(3)
    ]


def write_first_delivery(raw: Path, events: list[dict] | None = None) -> None:
    write_raw(
        raw,
        {
            "users": [dict(id=u, created_at=ts("2025-01-01T00:00:00")) for u in (1, 2, 3)],
            "events": first_delivery() if events is None else events,
            "distribution_centers": [dict(id=1, name="Memphis TN", latitude=35.1, longitude=-90.0)],
        },
    )


def reference_daily(raw: Path) -> list[dict]:
    """int_events_daily_by_source stated in Python: each event id counts once, as its latest copy
    (ties: lowest user, then source; a copy without a time loses), per user, source and UTC day."""
    import pyarrow.parquet as pq

    copies: dict[int, list[tuple]] = {}
    for path in sorted((raw / "events").glob("*.parquet")):
        for row in pq.read_table(path).to_pylist():
            if row["id"] is None:
                continue
            source = (row["traffic_source"] or "").strip() or None
            copies.setdefault(row["id"], []).append((row["created_at"], row["user_id"], source))
    counts: dict[tuple, int] = {}
    for versions in copies.values():
        dated = [v for v in versions if v[0] is not None]
        if not dated:
            continue
        latest = max(v[0] for v in dated)
        winner = min(
            (v for v in dated if v[0] == latest),
            key=lambda v: (v[1] is None, v[1] or 0, v[2] is None, v[2] or ""),
        )
        created_at, user_id, source = winner
        if user_id is not None and source is not None:
            key = (user_id, source, created_at.astimezone(dt.UTC).date())
            counts[key] = counts.get(key, 0) + 1
    return [
        dict(user_id=u, traffic_source=s, event_date=d, event_count=n)
        for (u, s, d), n in sorted(counts.items())
    ]


DAILY = "select user_id, traffic_source, event_date, event_count from int_events_daily_by_source order by all"


def build_events(project, *args: str, vars: dict | None = None):
    return project.run("run", "--select", "int_events_daily_by_source", *args, vars=vars)


def correction_across_the_boundary(raw: Path) -> None:
    """Event 7 (day LAST_DAY-37, long counted) corrected: same id, now on LAST_DAY+1, Adwords."""
    write_raw_file(raw, "events", [event(7, 2, "Adwords", days_before(-1))], "events-week-2.parquet")


def late_event_older_than_the_lookback(raw: Path) -> None:
    write_raw_file(
        raw,
        "events",
        [event(1000, 1, "YouTube", days_before(20)), event(1001, 3, "Email", days_before(-2))],
        "events-week-3.parquet",
    )


def re_export_with_changes(raw: Path) -> None:
    """The first delivery exported again: one past event's source corrected, one event removed,
    one moved to another day; same file name."""
    events = first_delivery()
    events[10]["traffic_source"] = "Organic"
    del events[20]
    events[30]["created_at"] -= dt.timedelta(days=5)
    (raw / "events" / "events-000000000000.parquet").unlink()
    write_raw_file(raw, "events", events, "events-000000000000.parquet")


def removed_events(raw: Path) -> None:
    """A week delivered, then its file taken back: its correction of event 4 must go too."""
    path = write_raw_file(
        raw,
        "events",
        [event(4, 1, "Organic", days_before(-1)), event(2000, 2, "Email", days_before(-1))],
        "events-week-4.parquet",
    )
    return path


def take_back_week_4(raw: Path) -> None:
    (raw / "events" / "events-week-4.parquet").unlink()


SCENARIOS = {
    "correction_across_the_recompute_boundary": [correction_across_the_boundary],
    "late_event_older_than_the_lookback": [late_event_older_than_the_lookback],
    "re_export_of_past_events_with_changes": [re_export_with_changes],
    "removed_events": [removed_events, take_back_week_4],
}


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_events_model_follows_the_raw_files(dbt_project, tmp_path, scenario):
    """After each delivery the incremental events model equals the reference count, and at the
    end a fresh build of the same files (DuckDB, Parquet)."""
    raw = tmp_path / "raw"
    write_first_delivery(raw)
    weekly = dbt_project(raw)
    build_events(weekly)
    assert weekly.query(DAILY) == reference_daily(raw)
    for step in SCENARIOS[scenario]:
        step(raw)
        build_events(weekly)
        assert weekly.query(DAILY) == reference_daily(raw), step.__doc__
    fresh = dbt_project(raw)
    build_events(fresh)
    assert weekly.query(DAILY) == fresh.query(DAILY)


def test_correction_across_the_boundary_counts_once_and_says_so(dbt_project, tmp_path):
    """The bug of issue #15: the corrected event was counted twice (old day kept, new day added).
    The run recounts from the old copy's day, and the log says why."""
    raw = tmp_path / "raw"
    write_first_delivery(raw)
    weekly = dbt_project(raw)
    build_events(weekly)
    correction_across_the_boundary(raw)
    result = build_events(weekly)
    old_day = days_before(37)
    assert f"counting again from {old_day}" in result.stdout
    total = weekly.query("select sum(event_count) as n from int_events_daily_by_source")[0]["n"]
    assert total == 120  # event 7 counted once, on its new day
    assert (
        weekly.query(
            "select event_count from int_events_daily_by_source"
            f" where event_date = '{old_day}' and user_id = 2"
        )
        == []
    )


@pytest.mark.parametrize("lookback", [0, 10])
def test_non_default_lookback(dbt_project, tmp_path, lookback):
    """events_lookback_days only moves where a run recounts from; the counts stay exact."""
    raw = tmp_path / "raw"
    write_first_delivery(raw)
    weekly = dbt_project(raw)
    build_events(weekly, vars={"events_lookback_days": lookback})
    late_event_older_than_the_lookback(raw)
    result = build_events(weekly, vars={"events_lookback_days": lookback})
    assert f"last counted day minus the lookback: {LAST_DAY - dt.timedelta(days=lookback)}" in result.stdout
    assert weekly.query(DAILY) == reference_daily(raw)


def test_switching_raw_data_dir_gives_the_fresh_mart(dbt_project, small_generated_dir, tmp_path):
    """Issue #11's first problem: built on one folder, then on another (here: the generated sample,
    then the same sample re-exported with a tenth of its events' sources changed and some events
    removed); the incremental mart is the fresh build's, and the log says everything was recounted."""
    other = tmp_path / "other"
    shutil.copytree(small_generated_dir, other)
    events = other / "events"
    with duckdb.connect() as con:
        con.execute(
            f"create table e as select * replace (case when id % 10 = 0 then 'Email' else traffic_source end "
            f"as traffic_source) from read_parquet('{events.as_posix()}/*.parquet') where id % 7 <> 0"
        )
        for path in events.glob("*.parquet"):
            path.unlink()
        con.execute(f"copy e to '{events.as_posix()}/events-000000000000.parquet' (format parquet)")

    weekly = dbt_project(small_generated_dir)
    weekly.run("run", vars={"as_of_date": FIRST_AS_OF.isoformat()})
    weekly.raw_dir = other
    result = weekly.run("run", vars={"as_of_date": FIRST_AS_OF.isoformat()})
    assert "int_events_daily_by_source: counting every day again" in result.stdout
    fresh = dbt_project(other)
    fresh.run("run", vars={"as_of_date": FIRST_AS_OF.isoformat()})
    mart = "select * from customer_features order by user_id"
    assert weekly.query(mart) == fresh.query(mart)
    assert weekly.query(DAILY) == fresh.query(DAILY)


def test_events_model_follows_the_raw_tables_on_postgres(dbt_project, postgres_server, tmp_path):
    """The same deliveries on PostgreSQL, where each week's load replaces the raw tables: the per-day
    fingerprint sees what changed. After each load and incremental run the events model equals the
    reference count; at the end a fresh build of the same tables."""
    from test_postgres import MART_SCHEMA, RAW_SCHEMA, load_with_cli

    raw = tmp_path / "raw"
    write_first_delivery(raw)
    # These deliveries hold events and users only: the other tables are empty on purpose.
    empty = [f"--allow-empty={table}" for table in ("orders", "order_items", "products", "inventory_items")]

    def project(database: str):
        postgres_server.create_database(database)
        load_with_cli(postgres_server, database, raw, *empty)
        env = {**postgres_server.env(database), "PGSCHEMA": MART_SCHEMA, "RAW_SCHEMA": RAW_SCHEMA}
        return dbt_project(raw, target="postgres", extra_env=env)

    daily = (
        "select user_id, traffic_source, event_date, event_count"
        f" from {MART_SCHEMA}.int_events_daily_by_source"
    )
    weekly = project("weekly")
    build_events(weekly)
    steps = [
        (correction_across_the_boundary, f"counting again from {days_before(37)}"),
        # Event 7's two copies still straddle the recount start: from its old copy's day again.
        (late_event_older_than_the_lookback, f"counting again from {days_before(37)}"),
        (re_export_with_changes, "counting every day again"),
        (removed_events, "counting again from"),
        (take_back_week_4, "counting every day again"),
    ]
    for step, said in steps:
        step(raw)
        load_with_cli(postgres_server, "weekly", raw, *empty)
        result = build_events(weekly)
        assert said in result.stdout, result.stdout[-3000:]
        assert sorted(postgres_server.query("weekly", daily), key=repr) == sorted(
            reference_daily(raw), key=repr
        )

    fresh = project("fresh")
    build_events(fresh)
    assert sorted(postgres_server.query("weekly", daily), key=repr) == sorted(
        postgres_server.query("fresh", daily), key=repr
    )


def test_warehouse_fingerprint_and_crossing_queries_are_redshift_sql(tmp_path):
    """Reads text only (no cluster): the per-day fingerprint and the crossing query, compiled for
    the redshift target with no connection, parse as Redshift SQL and use nothing it lacks. They
    run for real on PostgreSQL above (`default__` implementations)."""
    from conftest import DbtProject
    from test_redshift_offline import COMPILE_VARS, OFFLINE, REDSHIFT_ENV, redshift_problems

    project = DbtProject(
        workdir=tmp_path, raw_dir=tmp_path / "none", target="redshift", extra_env=REDSHIFT_ENV
    )
    for macro, expected in [
        ("events_fingerprint_sql()", "strtol(substring(md5("),
        ("events_crossing_sql('2026-06-01')", "max(created_at)"),
    ]:
        result = project.run(
            "compile",
            "--no-populate-cache",
            "--inline",
            "{{ " + macro + " }}",
            vars=COMPILE_VARS,
            launcher=OFFLINE,
        )
        sql = result.stdout[result.stdout.index("Compiled inline node is:") :].split("\n", 1)[1]
        sql = "\n".join(
            line.split("  ", 1)[-1] if line.startswith("\x1b") else line for line in sql.splitlines()
        )
        assert expected in sql and '"dev"."thelook_raw"."events"' in sql, sql
        assert redshift_problems(sql) == [], (macro, sql)
