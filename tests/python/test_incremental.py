"""The weekly incremental run gives the same mart as a full refresh on the same data.

stg_thelook__events merges only the raw files it has not merged yet and is rebuilt when a file it
merged changed or is gone (events_merge_plan); int_events_daily_by_source counts its rows. Each
scenario asserts what the tables hold and what the log says, never the compiled SQL.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

import duckdb
import pytest
from raw_tables import ts, write_raw, write_raw_file

from customer_mart.benchmark.weekly_delivery import deliver_week

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
    # The run was incremental: it merged the one new file into the table kept from last week.
    assert f"{STAGING}: merging 1 new raw events file(s)" in result.stdout
    assert "the 3 merged before are unchanged" in result.stdout

    fresh = dbt_project(raw)
    fresh.run("run", "--full-refresh", vars={"as_of_date": NEXT_AS_OF.isoformat()})

    daily = "select * from int_events_daily_by_source order by all"
    assert weekly.query(daily) == fresh.query(daily)
    mart = "select * from customer_features order by user_id"
    assert weekly.query(mart) == fresh.query(mart)

    # The new week was counted, up to its last day.
    days = weekly.query("select distinct event_date as day from int_events_daily_by_source")
    assert {NEXT_AS_OF - dt.timedelta(days=1), dt.date(2100, 1, 1)} <= {row["day"] for row in days}


STAGING = "stg_thelook__events"


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
    result = weekly.run("run", vars={"as_of_date": NEXT_AS_OF.isoformat()})
    assert f"{STAGING}: merging 1 new raw events file(s)" in result.stdout

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
    """The events chain: the profiles it reads, stg_thelook__events, int_events_daily_by_source."""
    return project.run("run", "--select", "+int_events_daily_by_source", *args, vars=vars)


def correction_across_the_boundary(raw: Path) -> None:
    """Event 7 (day LAST_DAY-37, long counted) corrected: same id, now on LAST_DAY+1, Adwords."""
    write_raw_file(raw, "events", [event(7, 2, "Adwords", days_before(-1))], "events-week-2.parquet")


def late_event_three_weeks_old(raw: Path) -> None:
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
    "late_event_three_weeks_old": [late_event_three_weeks_old],
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
    The run merges the new file only, and its copy of event 7 replaces the one merged before."""
    raw = tmp_path / "raw"
    write_first_delivery(raw)
    weekly = dbt_project(raw)
    build_events(weekly)
    correction_across_the_boundary(raw)
    result = build_events(weekly)
    old_day = days_before(37)
    assert f"{STAGING}: merging 1 new raw events file(s)" in result.stdout
    total = weekly.query("select sum(event_count) as n from int_events_daily_by_source")[0]["n"]
    assert total == 120  # event 7 counted once, on its new day
    assert (
        weekly.query(
            "select event_count from int_events_daily_by_source"
            f" where event_date = '{old_day}' and user_id = 2"
        )
        == []
    )


def test_switching_raw_data_dir_gives_the_fresh_mart(dbt_project, small_generated_dir, tmp_path):
    """Issue #11's first problem: built on one folder, then on another (here: the generated sample,
    then the same sample re-exported with a tenth of its events' sources changed and some events
    removed); the incremental mart is the fresh build's, and the log says the events were rebuilt."""
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
    gone = len(list((small_generated_dir / "events").glob("*.parquet")))
    assert (
        f"{STAGING}: rebuilding from every raw events file (1): of the files merged before, {gone} gone"
        f" (first {small_generated_dir}/events/" in result.stdout
    )
    fresh = dbt_project(other)
    fresh.run("run", vars={"as_of_date": FIRST_AS_OF.isoformat()})
    mart = "select * from customer_features order by user_id"
    assert weekly.query(mart) == fresh.query(mart)
    assert weekly.query(DAILY) == fresh.query(DAILY)


def test_events_model_follows_the_raw_tables_on_postgres(dbt_project, postgres_server, tmp_path):
    """The same deliveries on PostgreSQL, where each week's load replaces the raw tables and records
    each row's file ("$path"): the profile's per-file signatures tell what changed. After each load
    and incremental run the events model equals the reference count; at the end a fresh build of
    the same tables."""
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
    merged = f"{STAGING}: merging 1 new raw events file(s)"
    rebuilt = f"{STAGING}: rebuilding from every raw events file"
    steps = [
        (correction_across_the_boundary, merged),
        (late_event_three_weeks_old, merged),
        (re_export_with_changes, f"{rebuilt} (3): of the files merged before, 1 changed"),
        (removed_events, merged),
        (take_back_week_4, f"{rebuilt} (3): of the files merged before, 1 gone"),
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


# --- What the run reads is what it records: a file landing mid-run, a re-export in place ---------


def test_a_file_landing_during_the_build_is_merged_by_the_next(tmp_path):
    """Issue 20: a file copied in after the start-of-run hooks had listed the folder was recorded
    as counted but never counted. Here it lands when stg_thelook__events starts (after the profile
    read the files): this run neither reads nor records it, and the next run merges it."""
    from dbt_inprocess import InProcessDbt

    raw = tmp_path / "raw"
    write_first_delivery(raw)
    # Written aside first, so that it lands whole (as a copy or an S3 upload does).
    late = write_raw_file(
        tmp_path / "aside", "events", [event(3000, 1, "Organic", days_before(-1))], "late.parquet"
    )
    dbt = InProcessDbt(
        tmp_path / "dbt",
        env={
            "DUCKDB_PATH": str(tmp_path / "warehouse.duckdb"),
            "RAW_DATA_DIR": str(raw),
            "RAW_FILE_FORMAT": None,
        },
    )
    select = ["--select", "+int_events_daily_by_source"]
    assert dbt.run("run", *select).success

    def land(event) -> None:
        node = getattr(getattr(event.data, "node_info", None), "unique_id", "")
        if (
            event.info.name == "NodeStart"
            and node == f"model.customer_mart.{STAGING}"
            and not landed.exists()
        ):
            shutil.copy(late, landed)

    landed = raw / "events" / "events-week-2.parquet"
    dbt.runner.callbacks.append(land)
    assert dbt.run("run", *select).success
    dbt.runner.callbacks.remove(land)
    assert landed.exists()
    counted = "select count(*) from int_events_daily_by_source where traffic_source = 'Organic'"
    merged = f"select count(*) from {STAGING}__merged_files"
    assert dbt.query(counted) == [(0,)] and dbt.query(merged) == [(1,)]

    assert dbt.run("run", *select).success
    assert dbt.query(counted) == [(1,)] and dbt.query(merged) == [(2,)]
    daily = [tuple(row.values()) for row in reference_daily(raw)]
    assert dbt.query(DAILY) == daily


def write_events_csv(path: Path, events: list[dict]) -> None:
    """Events as a BigQuery-style CSV export: every contract column, NULL as an empty field."""
    import csv

    from customer_mart.schema import COLUMNS

    columns = [name for name, _ in COLUMNS["events"]]
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        for row in events:
            values = {**row, "created_at": row["created_at"].strftime("%Y-%m-%d %H:%M:%S")}
            writer.writerow(["" if values.get(name) is None else values[name] for name in columns])


def test_a_re_export_keeping_name_size_and_mtime_is_seen_column_by_column(dbt_project, tmp_path):
    """A file written again in place with the same name, size and modification time (`touch -r`,
    or `aws s3 sync`, which keeps sizes) is seen by its content: four CSV files each have one
    counted column changed to a value of the same length (the id, the user, the source, the day).
    The run says all four changed and rebuilds; a signature that left any of those columns out
    would miss its file, and the counts would differ from a fresh build."""
    raw = tmp_path / "raw"
    write_first_delivery(raw)
    (raw / "events" / "events-000000000000.parquet").unlink()
    events = first_delivery()  # ids 1..120, users 1..3, sources Email / Adwords / Facebook
    parts = {n: [e for e in events if e["id"] % 4 == n] for n in range(4)}
    for n, rows in parts.items():
        write_events_csv(raw / "events" / f"events-{n}.csv", rows)
    weekly = dbt_project(raw, file_format="")
    build_events(weekly)

    def same_length_change(n: int, old: str, new: str) -> None:
        path = raw / "events" / f"events-{n}.csv"
        before = path.stat()
        text = path.read_bytes()
        assert len(old) == len(new) and old.encode() in text
        path.write_bytes(text.replace(old.encode(), new.encode(), 1))
        os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))  # touch -r
        after = path.stat()
        assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)

    same_length_change(0, "\n100,", "\n900,")  # the id: event 100 becomes event 900
    user = parts[1][0]  # event 1, user 1
    same_length_change(1, f"\n{user['id']},{user['user_id']},", f"\n{user['id']},{user['user_id'] % 3 + 1},")
    source = parts[2][0]["traffic_source"]
    swap = {"Email": "Ember", "Adwords": "YouTube", "Facebook": "Facebank"}
    same_length_change(2, f",{source},", f",{swap[source]},")
    day = parts[3][0]["created_at"]
    same_length_change(3, f",{day:%Y-%m-%d} ", f",{day + dt.timedelta(days=1):%Y-%m-%d} ")

    result = build_events(weekly)
    assert f"{STAGING}: rebuilding from every raw events file (4): of the files merged before, 4 changed" in (
        result.stdout
    ), result.stdout[-3000:]
    fresh = dbt_project(raw, file_format="")
    build_events(fresh)
    assert weekly.query(DAILY) == fresh.query(DAILY)
    assert weekly.query(f"select * from {STAGING} order by event_id") == fresh.query(
        f"select * from {STAGING} order by event_id"
    )


@pytest.mark.parametrize(
    ("fault", "sql"),
    [
        ("an event kept twice", f"insert into {STAGING} select * from {STAGING} where event_id = 7"),
        ("an event lost", f"delete from {STAGING} where event_id = 7"),
    ],
)
def test_the_count_check_catches_an_event_kept_twice_or_lost(dbt_project, tmp_path, fault, sql):
    """stg_thelook__events_holds_each_raw_event_id_once, which stands for `unique` on event_id,
    fails on a planted fault and passes on the table as built."""
    raw = tmp_path / "raw"
    write_first_delivery(raw)
    project = dbt_project(raw)
    build_events(project)
    name = "stg_thelook__events_holds_each_raw_event_id_once"
    project.run("test", "--select", name)
    assert project.results()[name]["status"] == "pass"
    with duckdb.connect(str(project.duckdb_path)) as con:
        con.execute(sql)
    result = project.run("test", "--select", name, check=False)
    assert result.returncode != 0 and project.results()[name]["status"] == "fail", (
        fault,
        result.stdout[-2000:],
    )
