"""What a weekly `dbt build` reads from the raw tables on PostgreSQL, the warehouse path.

    .venv/bin/python bench/postgres_reads.py WORK_DIR [--users 20000]

On a throwaway PostgreSQL server (tests/python/postgres_server.py: the machine's `initdb` and
`pg_ctl`), with the raw tables loaded by `customer-mart load`, as on a user's server:

1. the whole `dbt build --target postgres` on a new database (cold);
2. one more week of events delivered (customer_mart.benchmark.weekly_delivery) and loaded again,
   then the whole weekly `dbt build` (incremental: stg_thelook__events merges the new file);
3. `dbt build --full-refresh` of the same week, on the same database.

For each build, the rows PostgreSQL read from each raw table: the change in
`pg_stat_user_tables` (`seq_tup_read`, rows read by sequential scans, plus `idx_tup_fetch`, rows
fetched through an index), taken once the server has published the build's counts. Redshift takes
the same SQL (the `default__` macros and `"$path"`); whether Spectrum skips the files a `"$path"`
filter leaves out is not documented, so a Spectrum scan of the new files may bill more.

Prints the result as JSON; run_bench.py imports `measure` instead.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from customer_mart.benchmark.weekly_delivery import deliver_week

PROJECT_DIR = Path(__file__).resolve().parents[1]
BIN_DIR = Path(sys.executable).parent
RAW_SCHEMA = "thelook_raw"
MART_SCHEMA = "customer_mart"
sys.path.insert(0, str(PROJECT_DIR / "tests" / "python"))  # postgres_server, the tests' throwaway server


def raw_rows_read(server, database: str) -> dict[str, int]:
    """Rows read so far from each raw table (sequential scans and index fetches), once the server's
    counters stop moving: a backend publishes its counts when it goes idle or exits."""
    sql = (
        "select relname as name, coalesce(seq_tup_read, 0) + coalesce(idx_tup_fetch, 0) as rows_read"
        f" from pg_stat_user_tables where schemaname = '{RAW_SCHEMA}'"
    )
    last = None
    for _ in range(30):
        now = {row["name"]: int(row["rows_read"]) for row in server.query(database, sql)}
        if now == last:
            return now
        last = now
        time.sleep(1)
    return last


def measure(work: Path, users: int, seed: int, now: dt.date, log) -> dict:
    """The cold, weekly and full-refresh builds' raw reads on PostgreSQL; see the module's doc."""
    from postgres_server import require_bin_dir, running_server

    raw = work / "raw"
    if not raw.exists():
        run(
            [
                str(BIN_DIR / "customer-mart"),
                "generate",
                "--users",
                str(users),
                "--seed",
                str(seed),
                "--out",
                str(raw),
                "--now",
                now.isoformat(),
                "--no-progress",
            ],
            {},
            log,
        )
    profiles = work / "profiles"
    profiles.mkdir(parents=True, exist_ok=True)
    (profiles / "profiles.yml").write_text((PROJECT_DIR / "profiles.yml.example").read_text())
    next_week = now + dt.timedelta(days=7)
    delivery = raw / "events" / f"events-{next_week.isoformat()}.parquet"
    delivery.unlink(missing_ok=True)
    with running_server(require_bin_dir()) as server:
        database = server.create_database("bench")
        env = {**server.env(database), "RAW_SCHEMA": RAW_SCHEMA}
        dbt_env = {**env, "PGSCHEMA": MART_SCHEMA, "DBT_TARGET": "postgres"}

        def load() -> None:
            run(
                [str(BIN_DIR / "customer-mart"), "load", "--target", "postgres", "--raw-dir", str(raw)],
                env,
                log,
            )

        def build(*args: str, as_of: dt.date) -> dict[str, int]:
            # The next week's builds get a new week of events only: the other tables' newest rows are
            # then a week old, which the freshness guard is told, as in run_bench.py's weekly run.
            stale = ", max_raw_table_age_days: 14" if as_of != now else ""
            before = raw_rows_read(server, database)
            output = run(
                [
                    str(BIN_DIR / "dbt"),
                    "build",
                    *args,
                    "--vars",
                    f"{{as_of_date: '{as_of.isoformat()}'{stale}}}",
                    "--profiles-dir",
                    str(profiles),
                    "--target-path",
                    str(work / "target"),
                    "--log-path",
                    str(work / "logs"),
                ],
                dbt_env,
                log,
            )
            after = raw_rows_read(server, database)
            return {
                "rows_read": {table: after[table] - before.get(table, 0) for table in sorted(after)},
                "plan": [
                    line.split("stg_thelook__events: ", 1)[1]
                    for line in output.splitlines()
                    if "stg_thelook__events: " in line
                ],
            }

        load()
        cold = build(as_of=now)
        delivered = deliver_week(raw, now)
        load()
        rows = {
            row["name"]: int(row["n"])
            for table in (
                "events",
                "users",
                "orders",
                "order_items",
                "products",
                "inventory_items",
                "distribution_centers",
            )
            for row in server.query(
                database, f"select '{table}' as name, count(*) as n from {RAW_SCHEMA}.{table}"
            )
        }
        weekly = build(as_of=next_week)
        full = build("--full-refresh", as_of=next_week)
    delivery.unlink(missing_ok=True)
    return {
        "users": users,
        "raw_rows": rows,
        "new_file_rows": sum(delivered.values()),
        "cold": cold,
        "weekly": weekly,
        "full_refresh": full,
    }


def run(command: list[str], env: dict[str, str], log) -> str:
    """Run a command to completion with these variables added; its output, or an error with its end."""
    result = subprocess.run(
        command,
        cwd=PROJECT_DIR,
        env={**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", **env},
        capture_output=True,
        text=True,
        check=False,
    )
    log(f"$ {' '.join(command)}\n{result.stdout}{result.stderr}")
    if result.returncode != 0:
        raise RuntimeError(
            f"{command[0]} failed ({result.returncode}):\n{(result.stdout + result.stderr)[-3000:]}"
        )
    return result.stdout


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("work_dir")
    parser.add_argument("--users", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--now", default="2026-06-30")
    args = parser.parse_args()
    work = Path(args.work_dir).resolve()
    work.mkdir(parents=True, exist_ok=True)
    with (work / "postgres.log").open("w") as handle:
        result = measure(work, args.users, args.seed, dt.date.fromisoformat(args.now), handle.write)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
