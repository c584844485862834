"""`make bench`: the dbt pipeline against what a user would otherwise write, on the same files.

    .venv/bin/python bench/run_bench.py [--users 100000,1000000] [--with-10m] [--runs 3]

For each size it generates a dataset with the project's generator (timed: rows per second),
then times, each in a fresh process whose peak resident memory is read from the kernel:

- the whole `dbt build`, every data test, unit test and the snapshot, as the weekly job and
  `make run` run it: cold (new DuckDB file) and warm (the same file again), with the number of
  times it reads each raw table (bench/raw_scans.py, from the build's manifest and run results);
- `dbt build` of customer_features and everything upstream, without tests (the models alone):
  cold (new DuckDB file) and warm (the same file again);
- bench/single_query.py: the features in one hand-written DuckDB statement (the lower bound);
- bench/pandas_features.py: the features in plain pandas;
- the weekly incremental run: bench/weekly_delivery.py appends a week of events as a new file,
  then `dbt build` (incremental) and `dbt build --full-refresh`, each from the same database,
  models only; and the whole weekly `dbt build` (incremental, with every test) once per run.

It checks that the three implementations give the same features, and that the incremental
run gives the same mart as the full refresh, then writes docs/benchmarks.md, docs/benchmarks.png
and docs/benchmarks.json. DuckDB gets the same memory_limit and threads everywhere: dbt through
the profile (DUCKDB_MEMORY_LIMIT, DUCKDB_THREADS), the single query through its flags.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

PROJECT_DIR = Path(__file__).resolve().parents[1]
BENCH_DIR = PROJECT_DIR / "bench"
BIN_DIR = Path(sys.executable).parent
EVENTS_MODEL = "int_events_daily_by_source"
NO_TESTS = ["--select", "+customer_features", "--exclude", "resource_type:test", "resource_type:unit_test"]

sys.path.insert(0, str(BENCH_DIR))

import compare  # noqa: E402
import pandas_features  # noqa: E402
import raw_scans  # noqa: E402
from weekly_delivery import deliver_week  # noqa: E402


@dataclass
class Timing:
    """Wall seconds, CPU seconds and peak resident memory (MB) of each run of one command."""

    seconds: list[float] = field(default_factory=list)
    cpu_seconds: list[float] = field(default_factory=list)
    peak_mb: list[float] = field(default_factory=list)
    model_seconds: list[float] = field(default_factory=list)  # the events model, from run_results.json
    run_seconds: list[float] = field(default_factory=list)  # dbt's own elapsed_time: the run after parsing
    check_seconds: list[float] = field(default_factory=list)  # the on-run-start check of the raw files
    test_seconds: list[float] = field(default_factory=list)  # node time of the data and unit tests

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def peak(self) -> float:
        return max(self.peak_mb)


class Bench:
    def __init__(self, args: argparse.Namespace, users: int):
        self.args = args
        self.users = users
        self.work = Path(args.work_dir).resolve() / f"{users}"
        self.raw = self.work / "raw"
        self.log = self.work / "bench.log"
        self.as_of = dt.date.fromisoformat(args.now)
        self.runs = 1 if users >= 10_000_000 else args.runs
        self.profiles = self.work / "profiles"

    # ------------------------------------------------------------------ running things
    def measure(self, timing: Timing, command: list[str], env: dict[str, str] | None = None) -> None:
        """Run `command` to completion; add its wall and CPU seconds and peak RSS (with children)."""
        with self.log.open("a") as log:
            log.write(f"\n$ {' '.join(command)}\n")
            log.flush()
            started = time.perf_counter()
            process = subprocess.Popen(
                command, cwd=PROJECT_DIR, env=env, stdout=log, stderr=subprocess.STDOUT
            )
            _, status, usage = os.wait4(process.pid, 0)
            seconds = time.perf_counter() - started
            process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            raise RuntimeError(f"{command[0]} failed ({process.returncode}); see {self.log}")
        timing.seconds.append(seconds)
        timing.cpu_seconds.append(usage.ru_utime + usage.ru_stime)
        timing.peak_mb.append(usage.ru_maxrss / 1024)

    def dbt_env(self, raw: Path, database: Path) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            DBT_TARGET="duckdb",
            DUCKDB_PATH=str(database),
            RAW_DATA_DIR=str(raw),
            RAW_FILE_FORMAT="parquet",
            DUCKDB_MEMORY_LIMIT=self.args.memory_limit,
            DUCKDB_THREADS=str(self.args.threads),
            DBT_SEND_ANONYMOUS_USAGE_STATS="false",
        )
        return env

    def dbt(
        self, timing: Timing, *args: str, raw: Path, database: Path, target: Path, as_of: dt.date
    ) -> None:
        command = [
            str(BIN_DIR / "dbt"),
            *args,
            "--vars",
            f"{{as_of_date: '{as_of.isoformat()}'}}",
            "--profiles-dir",
            str(self.profiles),
            "--target-path",
            str(target),
            "--log-path",
            str(self.work / "logs"),
        ]
        self.measure(timing, command, self.dbt_env(raw, database))
        if args[0] == "parse":
            return
        run_results = json.loads((target / "run_results.json").read_text())
        timing.run_seconds.append(run_results["elapsed_time"])
        timing.model_seconds += [
            r["execution_time"] for r in run_results["results"] if r["unique_id"].endswith(EVENTS_MODEL)
        ]
        timing.check_seconds.append(
            sum(r["execution_time"] for r in run_results["results"] if "on-run-start" in r["unique_id"])
        )
        timing.test_seconds.append(
            sum(
                r["execution_time"]
                for r in run_results["results"]
                if r["unique_id"].startswith(("test.", "unit_test."))
            )
        )

    def python(self, timing: Timing, script: str, *args: str) -> None:
        self.measure(timing, [sys.executable, str(BENCH_DIR / script), *args])

    # ------------------------------------------------------------------ the steps
    def generate(self) -> dict:
        timing = Timing()
        for _ in range(self.runs):
            shutil.rmtree(self.raw, ignore_errors=True)
            self.measure(
                timing,
                [
                    str(BIN_DIR / "customer-mart"),
                    "generate",
                    "--users",
                    str(self.users),
                    "--seed",
                    str(self.args.seed),
                    "--out",
                    str(self.raw),
                    "--now",
                    self.as_of.isoformat(),
                    "--no-progress",
                ],
            )
        rows = {
            folder.name: sum(pq.ParquetFile(f).metadata.num_rows for f in folder.glob("*.parquet"))
            for folder in sorted(self.raw.iterdir())
        }
        return {"timing": asdict(timing), "rows": rows, "rows_per_second": sum(rows.values()) / timing.median}

    def implementations(self) -> dict:
        """dbt cold and warm, the single query and pandas, taking turns so that they share the noise."""
        parse, cold, warm, single, pandas = Timing(), Timing(), Timing(), Timing(), Timing()
        full_cold, full_warm = Timing(), Timing()
        full_database, full_target = self.work / "dbt-full.duckdb", self.work / "target-full"
        database, target = self.work / "dbt.duckdb", self.work / "target"
        limits = ["--memory-limit", self.args.memory_limit, "--threads", str(self.args.threads)]
        as_of = self.as_of.isoformat()
        # dbt's parse cache, as any run after a project's first has it: timed on its own, then kept.
        shutil.rmtree(target, ignore_errors=True)
        self.dbt(parse, "parse", raw=self.raw, database=database, target=target, as_of=self.as_of)
        shutil.rmtree(full_target, ignore_errors=True)
        self.dbt(
            Timing(), "parse", raw=self.raw, database=full_database, target=full_target, as_of=self.as_of
        )
        for _ in range(self.runs):
            full_database.unlink(missing_ok=True)
            for timing in (full_cold, full_warm):
                self.dbt(
                    timing,
                    "build",
                    raw=self.raw,
                    database=full_database,
                    target=full_target,
                    as_of=self.as_of,
                )
                if timing is full_cold:  # what a cold build reads; a warm one reads events incrementally
                    cold_scans = raw_scans.raw_scans(full_target)
            database.unlink(missing_ok=True)
            self.dbt(
                cold, "build", *NO_TESTS, raw=self.raw, database=database, target=target, as_of=self.as_of
            )
            self.dbt(
                warm, "build", *NO_TESTS, raw=self.raw, database=database, target=target, as_of=self.as_of
            )
            (self.work / "single.duckdb").unlink(missing_ok=True)
            self.python(
                single, "single_query.py", str(self.raw), as_of, str(self.work / "single.duckdb"), *limits
            )
            self.python(pandas, "pandas_features.py", str(self.raw), as_of, str(self.work / "pandas.parquet"))
        return {
            "dbt": {"cold": cold, "warm": warm},
            "whole_build": {"cold": full_cold, "warm": full_warm},
            "raw_scans": raw_scans.summary(cold_scans),
            "raw_scan_nodes": cold_scans,
            "alternatives": {"single": single, "pandas": pandas},
            "dbt_parse": parse,
        }

    def same_features(self) -> dict[str, list[str]]:
        mart = read_table(self.work / "dbt.duckdb")
        return {
            "single query": compare.differences(mart, read_table(self.work / "single.duckdb")),
            "pandas": compare.differences(
                mart, pandas_features.pd.read_parquet(self.work / "pandas.parquet")
            ),
        }

    def incremental(self) -> dict:
        """A week of new events on top of the warm database, incremental against full refresh."""
        next_raw = self.work / "raw-next-week"
        shutil.rmtree(next_raw, ignore_errors=True)
        shutil.copytree(self.raw, next_raw, copy_function=os.link)  # the same files, plus one
        delivered = deliver_week(next_raw, self.as_of)
        next_as_of = self.as_of + dt.timedelta(days=7)
        base = self.work / "dbt.duckdb"
        target = self.work / "target-next-week"
        shutil.rmtree(target, ignore_errors=True)
        # Parse once for the new as_of_date, so that both kinds of run start from the parse cache.
        self.dbt(Timing(), "parse", raw=next_raw, database=base, target=target, as_of=next_as_of)
        incremental, full, weekly = Timing(), Timing(), Timing()
        runs = {}
        for _ in range(self.runs):  # taking turns, so that both kinds share the noise
            database = self.work / "weekly.duckdb"
            shutil.copyfile(base, database)
            self.dbt(weekly, "build", raw=next_raw, database=database, target=target, as_of=next_as_of)
            weekly_scans = raw_scans.summary(raw_scans.raw_scans(target))
            for kind, timing, flags in (
                ("incremental", incremental, []),
                ("full_refresh", full, ["--full-refresh"]),
            ):
                database = self.work / f"{kind}.duckdb"
                shutil.copyfile(base, database)
                self.dbt(
                    timing,
                    "build",
                    *NO_TESTS,
                    *flags,
                    raw=next_raw,
                    database=database,
                    target=target,
                    as_of=next_as_of,
                )
                compiled = next((target / "compiled").rglob(f"{EVENTS_MODEL}.sql")).read_text()
                runs[kind] = {"database": database, "compiled": compiled}
        for run in runs.values():
            run["scan"] = scan_profile(run["compiled"], run["database"], self.args)
        same = compare.differences(
            read_table(runs["incremental"]["database"]), read_table(runs["full_refresh"]["database"])
        )
        same_daily = same_table(
            runs["incremental"]["database"], runs["full_refresh"]["database"], EVENTS_MODEL
        )
        return {
            "delivered": delivered,
            "weekly_with_tests": weekly,
            "weekly_raw_scans": weekly_scans,
            "incremental": incremental,
            "full_refresh": full,
            "scan": {kind: run["scan"] for kind, run in runs.items()},
            "differences": same + ([] if same_daily else [f"{EVENTS_MODEL} differs"]),
        }

    def run(self) -> dict:
        self.work.mkdir(parents=True, exist_ok=True)
        self.profiles.mkdir(exist_ok=True)
        shutil.copy(PROJECT_DIR / "profiles.yml.example", self.profiles / "profiles.yml")
        self.log.write_text("")
        result: dict = {"users": self.users, "runs": self.runs}
        for name, step in (
            ("generate", self.generate),
            ("implementations", self.implementations),
            ("same_features", self.same_features),
            ("incremental", self.incremental),
        ):
            started = time.perf_counter()
            print(f"[{self.users:,} users] {name} ...", end=" ", flush=True, file=sys.stderr)
            result.update(step()) if name == "implementations" else result.update({name: step()})
            print(f"{time.perf_counter() - started:.0f} s", file=sys.stderr)
        return result


def read_table(database: Path, table: str = "customer_features"):
    with duckdb.connect(str(database), read_only=True) as con:
        return con.sql(f"select * from {table}").df()


def same_table(left: Path, right: Path, table: str) -> bool:
    with duckdb.connect() as con:
        con.execute(f"attach '{left}' as l (read_only); attach '{right}' as r (read_only)")
        return (
            con.sql(
                f"select count(*) from ((select * from l.{table} except all select * from r.{table}) "
                f"union all (select * from r.{table} except all select * from l.{table}))"
            ).fetchall()[0][0]
            == 0
        )


def scan_profile(compiled_sql: str, database: Path, args: argparse.Namespace) -> dict:
    """What DuckDB's Parquet scans do for the events model's query (EXPLAIN ANALYZE, JSON)."""
    with duckdb.connect(str(database), read_only=True, config={"memory_limit": args.memory_limit}) as con:
        con.execute(f"set threads = {args.threads}")
        con.execute("set TimeZone = 'UTC'")
        profile = json.loads(con.execute(f"explain (analyze, format json) {compiled_sql}").fetchall()[0][1])
    scans, stack = [], list(profile["operator"])
    while stack:
        operator = stack.pop()
        stack += operator.get("children", [])
        if operator.get("type") == "TABLE_SCAN":
            scans.append(operator)
    return {
        "row_groups_scanned": sum(op.get("row_groups_scanned", 0) for op in scans),
        "row_groups": sum(op.get("total_row_groups_to_scan", 0) for op in scans),
        "rows_scanned": sum(op.get("rows_scanned", 0) for op in scans),
        "rows_out": sum(op.get("intermediate_rows", 0) for op in scans),
        "mb_read": sum(op.get("bytes_scanned", 0) for op in scans) / 1e6,
        "seconds": profile["query"]["total_time"],
    }


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
    parser.add_argument("--memory-limit", default=os.environ.get("DUCKDB_MEMORY_LIMIT", "3GB"))
    parser.add_argument("--threads", type=int, default=int(os.environ.get("DUCKDB_THREADS", "2")))
    parser.add_argument("--work-dir", default="data/bench", help="generated data and databases")
    parser.add_argument("--markdown", default="docs/benchmarks.md")
    parser.add_argument("--chart", default="docs/benchmarks.png")
    parser.add_argument("--json", default="docs/benchmarks.json")
    args = parser.parse_args()

    sizes = [int(s) for s in args.users.split(",") if s]
    if args.with_10m and 10_000_000 not in sizes:
        sizes.append(10_000_000)
    started = dt.datetime.now(dt.UTC)
    load_before = os.getloadavg()
    results = [Bench(args, users).run() for users in sizes]
    report_data = {
        "started": started.isoformat(timespec="seconds"),
        "minutes": round((dt.datetime.now(dt.UTC) - started).total_seconds() / 60, 1),
        "machine": machine(),
        "load_average_before": load_before,
        "load_average_after": os.getloadavg(),
        "settings": {"memory_limit": args.memory_limit, "duckdb_threads": args.threads, "runs": args.runs},
        "results": json.loads(
            json.dumps(results, default=lambda o: asdict(o) if hasattr(o, "seconds") else str(o))
        ),
    }
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(report_data, indent=2) + "\n")

    import report

    Path(args.markdown).write_text(report.markdown(report_data, chart=Path(args.chart).name))
    report.chart(report_data, Path(args.chart))
    print(f"wrote {args.markdown}, {args.chart} and {args.json}", file=sys.stderr)
    failures = [
        (r["users"], what, problem)
        for r in report_data["results"]
        for what, problems in [*r["same_features"].items(), ("incremental", r["incremental"]["differences"])]
        for problem in problems
    ]
    if failures:
        sys.exit(f"the implementations disagree: {failures[:5]}")


def machine() -> dict:
    from importlib.metadata import version

    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {
        "cpus": os.cpu_count(),
        "memory_gib": round(memory, 1),
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "dbt": version("dbt-core"),
        "dbt-duckdb": version("dbt-duckdb"),
        "pandas": pandas_features.pd.__version__,
    }


if __name__ == "__main__":
    main()
