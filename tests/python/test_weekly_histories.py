"""Incremental under random weekly histories (issue #15, item 2), on DuckDB.

Hypothesis draws a sequence of weekly deliveries into one raw folder: new files with new, late,
re-delivered and corrected events (corrections of events merged weeks before among them, since
ids are drawn from a small pool and days from six weeks), re-exports of a delivered file with rows
changed or dropped, and files taken back. After each delivery the incremental
`stg_thelook__events`, as `int_events_daily_by_source` counts it, must equal the count stated in
Python (`reference_daily`, the full refresh's rules: each id once, as its latest copy); after the
last one it must also equal `dbt run --full-refresh` of the same files.

Kept cheap: one raw folder and two warehouses for the whole module (dbt's partial parsing keeps
the project parse), a few dozen events, at most two deliveries an example. dbt runs as a
process: in this process dbt-duckdb keeps the warehouse file open, so it could not be read
between runs. `make test` runs a fixed, derandomized budget of 6 examples;
`HYPOTHESIS_PROFILE=long` runs 40 random ones for longer hunts.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from raw_tables import write_raw_file
from test_incremental import LAST_DAY, reference_daily, write_first_delivery

LONG = os.environ.get("HYPOTHESIS_PROFILE") == "long"
BUDGET = settings(
    max_examples=40 if LONG else 6,
    derandomize=not LONG,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    database=None,
)
DAILY = "select user_id, traffic_source, event_date, event_count from int_events_daily_by_source order by all"

events = st.fixed_dictionaries(
    {
        "id": st.integers(1, 25),  # a small pool: re-deliveries and corrections are frequent
        "user_id": st.sampled_from([1, 2, 3, None]),
        "traffic_source": st.sampled_from(["Email", "Adwords", " Email ", "Facebook", None]),
        "day": st.integers(-40, 7),  # relative to LAST_DAY: far past, the lookback, the new week
        "hour": st.sampled_from([0, 12, 23]),
    }
)


def to_row(drawn: dict) -> dict:
    day = LAST_DAY + dt.timedelta(days=drawn["day"])
    return dict(
        id=drawn["id"],
        user_id=drawn["user_id"],
        traffic_source=drawn["traffic_source"],
        created_at=dt.datetime.combine(day, dt.time(drawn["hour"]), tzinfo=dt.UTC),
    )


deliveries = st.one_of(
    st.tuples(st.just("new_file"), st.lists(events, min_size=1, max_size=8)),
    st.tuples(st.just("re_export"), st.integers(0, 10), st.lists(events, max_size=3)),
    st.tuples(st.just("take_back"), st.integers(0, 10)),
)


@pytest.fixture(scope="module")
def projects(session_dbt_project, tmp_path_factory):
    """The incremental and the fresh warehouse, on one raw folder rewritten by each example."""
    raw = tmp_path_factory.mktemp("weekly-histories") / "raw"
    return session_dbt_project(raw), session_dbt_project(raw)


def build_events(project, *args: str) -> None:
    project.run("run", "--select", "+int_events_daily_by_source", *args)


def deliver(raw: Path, delivery: tuple, week: int) -> None:
    files = sorted((raw / "events").glob("*.parquet"))
    kind = delivery[0]
    if kind == "new_file":
        write_raw_file(raw, "events", [to_row(e) for e in delivery[1]], f"events-week-{week:02d}.parquet")
    elif kind == "re_export":
        import pyarrow.parquet as pq

        path = files[delivery[1] % len(files)]
        rows = pq.read_table(path).to_pylist()
        kept = [row for i, row in enumerate(rows) if i % 5 != week % 5]  # some rows dropped
        for i, changed in enumerate(delivery[2]):  # some changed: same id, other values
            if kept:
                kept[(i * 7) % len(kept)] = {**to_row(changed), "id": kept[(i * 7) % len(kept)]["id"]}
        path.unlink()
        write_raw_file(raw, "events", kept, path.name)
    elif len(files) > 1:  # take_back: a delivered file removed (the folder keeps at least one)
        files[delivery[1] % len(files)].unlink()


@BUDGET
@given(history=st.lists(deliveries, min_size=1, max_size=2))
def test_random_weekly_histories_keep_incremental_equal_to_a_full_refresh(projects, history):
    weekly, fresh = projects
    raw = weekly.raw_dir
    shutil.rmtree(raw, ignore_errors=True)
    write_first_delivery(raw)
    weekly.duckdb_path.unlink(missing_ok=True)
    build_events(weekly)
    for week, delivery in enumerate(history, start=2):
        deliver(raw, delivery, week)
        build_events(weekly)
        assert weekly.query(DAILY) == reference_daily(raw), (week, delivery)
    build_events(fresh, "--full-refresh")
    assert weekly.query(DAILY) == fresh.query(DAILY)
