"""Append one week of website events to a raw folder, as the next weekly delivery would.

    python -m customer_mart.benchmark.weekly_delivery RAW_DIR LAST_DAY

The raw contract allows several files per table folder; the delivery is one more file in
`events/`, made from the events already there, relative to LAST_DAY (the day the data ran up
to, exclusive):

- the week's new events: the events of the seven days before LAST_DAY, moved one week on,
  with new ids;
- late events: 2% (by default) of the events of the last three days before LAST_DAY, with new
  ids and their original times (they happened then but arrive only now);
- re-delivered events: 1% of the events of those three days and 0.1% of all older ones,
  copied unchanged, ids included (they were already delivered);
- corrected events: 0.5% of the events of the last two days, with the same id, a day later
  (a corrected copy: the latest copy wins).

Which events are picked depends only on their ids, so the same folder gives the same delivery.
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

import duckdb


def deliver_week(
    raw_dir: str | Path,
    last_day: dt.date,
    late: float = 0.02,
    again: float = 0.01,
    again_older: float = 0.001,
    corrected: float = 0.005,
) -> dict[str, int]:
    """Write the week after `last_day` as a new file in `raw_dir/events/`; return its rows by kind."""
    events = Path(raw_dir) / "events"
    late, again, again_older, corrected = (
        round(share * 10_000) for share in (late, again, again_older, corrected)
    )
    end = last_day.isoformat()
    target = events / f"events-{(last_day + dt.timedelta(days=7)).isoformat()}.parquet"
    sql = f"""
        (
            with

            delivered as (
                select * from read_parquet('{events.as_posix()}/*.parquet', union_by_name = true)
            ),

            last_id as (select max(id) as max_id from delivered),

            recent as (
                select * from delivered
                where created_at >= timestamptz '{end}' - interval 7 day
                    and created_at < timestamptz '{end}'
            ),

            fresh as (
                select 'new' as kind, * replace (created_at + interval 7 day as created_at) from recent
                union all
                select 'late' as kind, * from recent
                where created_at >= timestamptz '{end}' - interval 3 day
                    and hash(id, 'late') % 10000 < {late}
            ),

            renumbered as (
                select
                    fresh.* replace (
                        last_id.max_id + row_number() over (order by fresh.id, fresh.created_at) as id
                    )
                from fresh
                cross join last_id
            ),

            again as (
                select 'again' as kind, * from delivered
                where created_at >= timestamptz '{end}' - interval 3 day
                    and hash(id, 'again') % 10000 < {again}
                union all
                select 'again_older' as kind, * from delivered
                where created_at < timestamptz '{end}' - interval 3 day
                    and hash(id, 'again') % 10000 < {again_older}
            ),

            corrected as (
                select 'corrected' as kind, * replace (created_at + interval 1 day as created_at) from recent
                where created_at >= timestamptz '{end}' - interval 2 day
                    and hash(id, 'moved') % 10000 < {corrected}
            )

            select * from renumbered
            union all select * from again
            union all select * from corrected
        )
    """
    with duckdb.connect() as con:
        con.execute("set TimeZone = 'UTC'")
        con.execute("set enable_progress_bar = false")
        con.execute(f"create temp table delivery as {sql}")
        con.execute(f"copy (select * exclude (kind) from delivery) to '{target.as_posix()}' (format parquet)")
        counts = dict(con.execute("select kind, count(*) from delivery group by kind").fetchall())
    return {kind: counts.get(kind, 0) for kind in ("new", "late", "again", "again_older", "corrected")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("raw_dir")
    parser.add_argument("last_day", type=dt.date.fromisoformat)
    args = parser.parse_args()
    print(deliver_week(args.raw_dir, args.last_day))  # rows of the new file, by kind


if __name__ == "__main__":
    main()
