"""The weekly incremental run gives the same mart as a full refresh on the same data."""

from __future__ import annotations

import datetime as dt
import shutil
import sys
from pathlib import Path

import duckdb
from conftest import PROJECT_DIR

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

    # Every test passes; the source checks warn about the re-delivered and corrected copies.
    result = weekly.run("build", vars={"as_of_date": NEXT_AS_OF.isoformat()})
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
