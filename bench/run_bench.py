"""`make bench`: the dbt pipeline against what a user would otherwise write, on the same files.

    .venv/bin/python bench/run_bench.py [--users 100000,1000000] [--with-10m] [--runs 3]

For each size (customer_mart.benchmark.runner.Bench) it generates a dataset with the project's
generator (timed: rows per second), then times, each in a fresh process whose peak resident
memory is read from the kernel:

- the whole `dbt build`, every data test, unit test and the snapshot, as the weekly job and
  `make run` run it: cold (new DuckDB file) and warm (the same file again), with the number of
  times it reads each raw table (customer_mart.benchmark.raw_scans, from the build's manifest and
  run results);
- `dbt build` of customer_features and everything upstream, without tests (the models alone):
  cold (new DuckDB file) and warm (the same file again);
- customer_mart.benchmark.single_query: the features in one hand-written DuckDB statement (the
  lower bound);
- customer_mart.benchmark.pandas_features: the features in plain pandas;
- the weekly incremental run: customer_mart.benchmark.weekly_delivery appends a week of events as
  a new file to the same raw folder the database was built from, as a real delivery does, then
  `dbt build` (incremental) and `dbt build --full-refresh`, each from a copy of that database,
  models only; and the whole weekly `dbt build`, with every test, incremental and with
  `--full-refresh`, once each per run. An incremental run must log that the events staging model
  merges the new file only (`stg_thelook__events: merging 1 new raw events file(s) ...`): a run
  that rebuilds from every file stops the bench, with the reason dbt gave;
- on PostgreSQL (bench/postgres_reads.py, once, at --postgres-users): the rows each raw table gave
  to a cold build, a weekly build and a full refresh of the same week, from pg_stat_user_tables.

At 10,000,000 users pandas runs under an address-space cap (--pandas-memory-cap-gb, default 16):
when it fails, how it failed (exit code, last line of its error, wall seconds, peak memory) is
recorded instead of its timing, and its comparison with the mart is skipped.

At 10,000,000 users (from --reduced-from-users, hidden, default 10,000,000) the bench runs a reduced
plan, once: the generator, the parse, the whole `dbt build` cold (every test; its peak memory and raw
reads), the single query and pandas (under its cap). No warm build, no models-only builds, no weekly
incremental run; the features compared are the whole build's mart against the single query (and
pandas when it did not fail). The result says `"reduced": true`, and the report's tables say what
was not run.

It checks that the three implementations give the same features, and that the incremental
run gives the same mart as the full refresh, then writes docs/benchmarks.json and, from it
(bench/report.py), the tables of docs/benchmarks.md, docs/benchmarks.png and the speed paragraph
of README.md (only when writing the default docs/benchmarks.md). DuckDB gets the same
memory_limit and threads everywhere: dbt through the profile (DUCKDB_MEMORY_LIMIT,
DUCKDB_THREADS), the single query through its flags.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import time
from importlib.metadata import version
from pathlib import Path

import duckdb
import postgres_reads
import report

from customer_mart.benchmark.runner import Bench, as_json

PROJECT_DIR = Path(__file__).resolve().parents[1]
DEFAULT_MARKDOWN = "docs/benchmarks.md"  # only a run writing it rewrites README.md's speed paragraph


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--users", default="100000,1000000", help="comma-separated sizes (default 100000,1000000)"
    )
    parser.add_argument("--with-10m", action="store_true", help="also 10,000,000 users (one run each)")
    parser.add_argument("--runs", type=int, default=3, help="runs per measurement; the median is reported")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--now", default="2026-06-30", help="the generator's now and the as_of_date")
    parser.add_argument("--memory-limit", default=os.environ.get("DUCKDB_MEMORY_LIMIT", "2GB"))
    parser.add_argument("--threads", type=int, default=int(os.environ.get("DUCKDB_THREADS", "2")))
    parser.add_argument("--work-dir", default="data/bench", help="generated data and databases")
    parser.add_argument("--markdown", default=DEFAULT_MARKDOWN)
    parser.add_argument("--chart", default="docs/benchmarks.png")
    parser.add_argument("--json", default="docs/benchmarks.json")
    parser.add_argument(
        "--pandas-memory-cap-gb",
        type=float,
        default=16.0,
        help="address-space cap (GiB) for pandas at 10,000,000 users; a failure under it is recorded",
    )
    # From which size pandas runs under the cap: lowered only to try the failure path on small data.
    parser.add_argument("--pandas-cap-from-users", type=int, default=10_000_000, help=argparse.SUPPRESS)
    # From which size the reduced plan runs (whole cold build, single query, pandas; once): lowered
    # only to try it on small data.
    parser.add_argument("--reduced-from-users", type=int, default=10_000_000, help=argparse.SUPPRESS)
    parser.add_argument(
        "--pandas-stall-seconds",
        type=float,
        default=120.0,
        help="kill pandas under the cap once it has used no CPU for this long (default 120)",
    )
    parser.add_argument(
        "--single-retry-memory-limit",
        default="12GB",
        help="in the reduced plan, the single query's memory limit for a second try when it runs out",
    )
    parser.add_argument(
        "--postgres-users",
        type=int,
        default=20_000,
        help="users of the PostgreSQL raw-reads measurement (bench/postgres_reads.py); 0 to skip it",
    )
    parser.add_argument(
        "--resume",
        action="store_true",
        help="keep each size already measured with the same settings (its work folder's result.json)",
    )
    args = parser.parse_args()

    sizes = [int(s) for s in args.users.split(",") if s]
    if args.with_10m and 10_000_000 not in sizes:
        sizes.append(10_000_000)
    started = dt.datetime.now(dt.UTC)
    load_before = os.getloadavg()
    results, resumed = [], []
    settings = {
        "memory_limit": args.memory_limit,
        "threads": args.threads,
        "runs": args.runs,
        "seed": args.seed,
        "now": args.now,
        "reduced_from_users": args.reduced_from_users,
        "postgres_users": args.postgres_users,
    }
    for users in sizes:
        bench = Bench(args, users, PROJECT_DIR)
        # Each size's results are kept in its work folder as soon as it is done, so that a later
        # size failing loses nothing: `--resume` takes them from there instead of measuring again.
        saved = bench.work / "result.json"
        kept = json.loads(saved.read_text()) if args.resume and saved.exists() else None
        if kept and kept["settings"] == settings:
            print(f"[{users:,} users] kept from {saved} (--resume)", file=sys.stderr)
            results.append(kept["result"])
            resumed.append({"users": users, "started": kept["started"]})
            continue
        size_started = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        result = json.loads(json.dumps(bench.run(), default=as_json))
        saved.write_text(json.dumps({"settings": settings, "started": size_started, "result": result}) + "\n")
        results.append(result)
    postgres = measure_postgres(args, settings) if args.postgres_users else None
    report_data = {
        "started": started.isoformat(timespec="seconds"),
        **({"resumed": resumed} if resumed else {}),
        "minutes": round((dt.datetime.now(dt.UTC) - started).total_seconds() / 60, 1),
        "machine": machine(),
        "load_average_before": load_before,
        "load_average_after": os.getloadavg(),
        "settings": {"memory_limit": args.memory_limit, "duckdb_threads": args.threads, "runs": args.runs},
        "results": results,
        **({"postgres": postgres} if postgres else {}),
    }
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(report_data, indent=2) + "\n")

    report.write(report_data, Path(args.markdown), Path(args.chart))
    print(f"wrote {args.markdown}, {args.chart} and {args.json}", file=sys.stderr)
    if Path(args.markdown).resolve() == (PROJECT_DIR / DEFAULT_MARKDOWN).resolve():
        report.update_readme(report_data, PROJECT_DIR / "README.md")
        print("rewrote the speed paragraph of README.md", file=sys.stderr)
    failures = [
        (r["users"], what, problem)
        for r in report_data["results"]
        for what, problems in [
            *r["same_features"].items(),
            *([("incremental", r["incremental"]["differences"])] if "incremental" in r else []),
        ]
        for problem in problems
    ]
    if failures:
        sys.exit(f"the implementations disagree: {failures[:5]}")


def measure_postgres(args: argparse.Namespace, settings: dict) -> dict:
    """bench/postgres_reads.py at --postgres-users, kept in its work folder like a size (--resume)."""
    work = Path(args.work_dir).resolve() / f"postgres-{args.postgres_users}"
    saved = work / "result.json"
    if args.resume and saved.exists():
        kept = json.loads(saved.read_text())
        if kept["settings"] == settings:
            print(
                f"[PostgreSQL, {args.postgres_users:,} users] kept from {saved} (--resume)", file=sys.stderr
            )
            return {**kept["result"], "started": kept["started"], "resumed": True}
    work.mkdir(parents=True, exist_ok=True)
    started = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    print(f"[PostgreSQL, {args.postgres_users:,} users] raw reads ...", end=" ", flush=True, file=sys.stderr)
    clock = time.perf_counter()
    with (work / "postgres.log").open("w") as log:
        result = postgres_reads.measure(
            work, args.postgres_users, args.seed, dt.date.fromisoformat(args.now), log.write
        )
    print(f"{time.perf_counter() - clock:.0f} s", file=sys.stderr)
    saved.write_text(json.dumps({"settings": settings, "started": started, "result": result}) + "\n")
    return {**result, "started": started}


def machine() -> dict:
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {
        "cpus": os.cpu_count(),
        "memory_gib": round(memory, 1),
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "dbt": version("dbt-core"),
        "dbt-duckdb": version("dbt-duckdb"),
        "pandas": version("pandas"),
    }


if __name__ == "__main__":
    main()
