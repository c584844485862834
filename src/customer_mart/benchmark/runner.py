"""The benchmark's runs, each in a fresh process whose wall time, CPU time and peak memory are
measured (`measured`): the generator, dbt (parse, the whole build, the models alone, the weekly
incremental run against its full refresh), the single DuckDB query and pandas, on one size of
generated data; bench/run_bench.py (`make bench`) runs a Bench per size and writes the results.

The dbt project is the one at `project_dir` (the commands run there, with its
profiles.yml.example); dbt and customer-mart are those beside this Python.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from customer_mart.benchmark import compare, pandas_features, raw_scans
from customer_mart.benchmark.weekly_delivery import deliver_week

BIN_DIR = Path(sys.executable).parent
EVENTS_MODEL = "stg_thelook__events"  # the incremental one: it logs its plan, and is timed apart
DAILY_MODEL = "int_events_daily_by_source"
PLAN_PREFIX = f"{EVENTS_MODEL}: "
ANSI = re.compile(r"\x1b\[[0-9;]*m")
NO_TESTS = ["--select", "+customer_features", "--exclude", "resource_type:test", "resource_type:unit_test"]


def module(name: str) -> list[str]:
    """The command that runs one of this package's modules as a script."""
    return [sys.executable, "-m", f"customer_mart.benchmark.{name}"]


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


class CommandFailed(RuntimeError):
    """A measured command that exited with an error: how, and what it had used until then."""

    def __init__(
        self,
        command: list[str],
        returncode: int,
        seconds: float,
        peak_mb: float,
        output: str,
        log: Path,
        stalled: str | None = None,
    ):
        super().__init__(f"{command[0]} failed ({returncode}{', ' + stalled if stalled else ''}); see {log}")
        self.returncode, self.seconds, self.peak_mb, self.output = returncode, seconds, peak_mb, output
        self.stalled = stalled

    @property
    def last_line(self) -> str:
        """The last line it wrote (a Python traceback ends with the exception), or why it was killed."""
        if self.stalled:
            return self.stalled
        lines = [line.strip() for line in self.output.splitlines() if line.strip()]
        # DuckDB follows its error with advice ("Possible solutions: ... See also <link>").
        errors = [line for line in lines if "Error" in line or "Exception" in line]
        if errors:
            return errors[-1]
        if lines:
            return lines[-1]
        if self.returncode < 0:
            return f"killed by {signal.Signals(-self.returncode).name}, no output"
        return "no output"

    def record(self, **extra) -> dict:
        return {
            "exit_code": self.returncode,
            "error": self.last_line,
            "seconds": self.seconds,
            "peak_mb": self.peak_mb,
            **extra,
        }


def merge_decision(output: str, run: str) -> str:
    """The events staging model's plan in one dbt run's output, which must merge the new file only.

    Returns the plan's line after `stg_thelook__events: `; raises when that run rebuilt from every
    file (a full rebuild passed off as an incremental run) or did not say.
    """
    plans = [line.split(PLAN_PREFIX, 1)[1].strip() for line in output.splitlines() if PLAN_PREFIX in line]
    full = [plan for plan in plans if plan.startswith(("rebuilding from every", "building from every"))]
    if full:
        raise RuntimeError(
            f"{run}: {EVENTS_MODEL} {full[0].rstrip('.')}; a weekly incremental run must merge only "
            "the new file"
        )
    merged = [plan for plan in plans if plan.startswith("merging ")]
    if not merged:
        raise RuntimeError(f"{run}: {EVENTS_MODEL} logged no merge plan (`{PLAN_PREFIX}merging ...`)")
    return merged[-1]


class Bench:
    def __init__(self, args: argparse.Namespace, users: int, project_dir: Path):
        self.args = args
        self.project_dir = project_dir
        self.users = users
        self.work = Path(args.work_dir).resolve() / f"{users}"
        self.raw = self.work / "raw"
        self.log = self.work / "bench.log"
        self.as_of = dt.date.fromisoformat(args.now)
        # The reduced plan (whole cold build, single query, pandas; once) from this size on.
        self.reduced = users >= getattr(args, "reduced_from_users", 10_000_000)
        self.runs = 1 if users >= 10_000_000 or self.reduced else args.runs
        self.profiles = self.work / "profiles"
        self.pandas_failed: dict | None = None  # how pandas failed under its memory cap

    # ------------------------------------------------------------------ running things
    def measure(
        self,
        timing: Timing,
        command: list[str],
        env: dict[str, str] | None = None,
        memory_cap_gb: float | None = None,
        stall_seconds: float | None = None,
    ) -> str:
        """Run `command` to completion; add its wall and CPU seconds and peak RSS (with children).

        Returns what it wrote (stdout and stderr, also appended to the bench log). With
        `memory_cap_gb`, the process runs under that address-space limit (RLIMIT_AS); with
        `stall_seconds`, it is killed once it has used no CPU time for that long (under the cap a
        library thread that could not start can leave it waiting forever).
        """
        limit = None
        if memory_cap_gb is not None:
            cap = int(memory_cap_gb * 2**30)

            def limit() -> None:
                resource.setrlimit(resource.RLIMIT_AS, (cap, cap))

        with self.log.open("a") as log:
            log.write(f"\n$ {' '.join(command)}\n")
            log.flush()
            start = log.tell()
            report = self.work / "measured.json"
            report.unlink(missing_ok=True)
            # Through measured.py, whose own small memory is what the command starts from.
            subprocess.run(
                [*module("measured"), str(report), str(stall_seconds or 0), "--"] + command,
                cwd=self.project_dir,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=limit,
                check=True,
            )
            measured = json.loads(report.read_text())
        with self.log.open("rb") as log:
            log.seek(start)
            output = ANSI.sub("", log.read().decode(errors="replace"))
        seconds, peak_mb, stalled = measured["seconds"], measured["peak_mb"], measured["stalled"]
        if measured["exit_code"] != 0:
            raise CommandFailed(command, measured["exit_code"], seconds, peak_mb, output, self.log, stalled)
        timing.seconds.append(seconds)
        timing.cpu_seconds.append(measured["cpu_seconds"])
        timing.peak_mb.append(peak_mb)
        return output

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

    def dbt(self, timing: Timing, *args: str, raw: Path, database: Path, target: Path, as_of: dt.date) -> str:
        """Run dbt and return what it printed."""
        # The next week's builds get a new week of events only (weekly_delivery.py): the other
        # tables' newest rows are then a week old, which the freshness guard is told, as an
        # operator would (every command of that week, so that they share one parse).
        stale = ", max_raw_table_age_days: 14" if as_of != self.as_of else ""
        command = [
            str(BIN_DIR / "dbt"),
            *args,
            "--vars",
            f"{{as_of_date: '{as_of.isoformat()}'{stale}}}",
            "--profiles-dir",
            str(self.profiles),
            "--target-path",
            str(target),
            "--log-path",
            str(self.work / "logs"),
        ]
        output = self.measure(timing, command, self.dbt_env(raw, database))
        if args[0] == "parse":
            return output
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
        return output

    def python(self, timing: Timing, name: str, *args: str) -> str:
        """One of this package's modules, run as a script."""
        return self.measure(timing, [*module(name), *args])

    def pandas_memory_cap_gb(self) -> float | None:
        """The address-space cap pandas runs under at this size: none below 10,000,000 users."""
        return self.args.pandas_memory_cap_gb if self.users >= self.args.pandas_cap_from_users else None

    def run_pandas(self, timing: Timing) -> None:
        """pandas_features; under the cap, a failure is recorded in self.pandas_failed."""
        out = self.work / "pandas.parquet"
        out.unlink(missing_ok=True)  # never compare the mart with an earlier run's output
        cap = self.pandas_memory_cap_gb()
        try:
            self.measure(
                timing,
                [
                    *module("pandas_features"),
                    str(self.raw),
                    self.as_of.isoformat(),
                    str(out),
                ],
                memory_cap_gb=cap,
                stall_seconds=None if cap is None else self.args.pandas_stall_seconds,
            )
        except CommandFailed as failed:
            if cap is None:
                raise
            self.pandas_failed = failed.record(memory_cap_gb=cap)
            print(f"(pandas failed under its {cap:g} GB cap: {failed.last_line})", end=" ", file=sys.stderr)

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

    def implementations_reduced(self) -> dict:
        """The reduced plan: the parse, the whole dbt build cold, the single query and pandas, once."""
        parse, full_cold, single, pandas = Timing(), Timing(), Timing(), Timing()
        full_database, full_target = self.work / "dbt-full.duckdb", self.work / "target-full"
        shutil.rmtree(full_target, ignore_errors=True)
        self.dbt(parse, "parse", raw=self.raw, database=full_database, target=full_target, as_of=self.as_of)
        full_database.unlink(missing_ok=True)
        self.dbt(
            full_cold, "build", raw=self.raw, database=full_database, target=full_target, as_of=self.as_of
        )
        cold_scans = raw_scans.raw_scans(full_target)
        single_failed = None
        for limit in (self.args.memory_limit, self.args.single_retry_memory_limit):
            (self.work / "single.duckdb").unlink(missing_ok=True)
            try:
                self.python(
                    single,
                    "single_query",
                    str(self.raw),
                    self.as_of.isoformat(),
                    str(self.work / "single.duckdb"),
                    "--memory-limit",
                    limit,
                    "--threads",
                    str(self.args.threads),
                )
                break
            except CommandFailed as failed:
                # One statement holds every operator's memory at once, where dbt's models each hold
                # their own: it may not fit under the limit dbt builds in. Recorded, then once more
                # with more memory, so that the ratio still has a lower bound.
                if single_failed is not None:
                    raise
                single_failed = failed.record(
                    memory_limit=limit, retried_with=self.args.single_retry_memory_limit
                )
                print(f"(single query failed under {limit}: {failed.last_line})", end=" ", file=sys.stderr)
        self.run_pandas(pandas)
        alternatives = {"single": single}
        if pandas.seconds:
            alternatives["pandas"] = pandas
        return {
            "whole_build": {"cold": full_cold},
            "raw_scans": raw_scans.summary(cold_scans),
            "raw_scan_nodes": cold_scans,
            "alternatives": alternatives,
            "dbt_parse": parse,
            **({"pandas_failed": self.pandas_failed} if self.pandas_failed else {}),
            **({"single_failed": single_failed} if single_failed else {}),
        }

    def implementations(self) -> dict:
        """dbt cold and warm, the single query and pandas, taking turns so that they share the noise."""
        if self.reduced:
            return self.implementations_reduced()
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
                single, "single_query", str(self.raw), as_of, str(self.work / "single.duckdb"), *limits
            )
            if self.pandas_failed is None:  # after a failure under the cap, not again
                self.run_pandas(pandas)
        alternatives = {"single": single}
        if pandas.seconds:
            alternatives["pandas"] = pandas
        return {
            "dbt": {"cold": cold, "warm": warm},
            "whole_build": {"cold": full_cold, "warm": full_warm},
            "raw_scans": raw_scans.summary(cold_scans),
            "raw_scan_nodes": cold_scans,
            "alternatives": alternatives,
            "dbt_parse": parse,
            **({"pandas_failed": self.pandas_failed} if self.pandas_failed else {}),
        }

    def same_features(self) -> dict[str, list[str]]:
        """The mart against the single query and pandas (not pandas when it failed under its cap).

        In the reduced plan the mart is the whole build's (no models-only build ran).
        """
        mart = read_table(self.work / ("dbt-full.duckdb" if self.reduced else "dbt.duckdb"))
        found = {"single query": compare.differences(mart, read_table(self.work / "single.duckdb"))}
        if self.pandas_failed is None:
            found["pandas"] = compare.differences(
                mart, pandas_features.pd.read_parquet(self.work / "pandas.parquet")
            )
        return found

    def incremental(self) -> dict:
        """A week of new events on top of the warm database, incremental against full refresh.

        The week lands in the raw folder the database was built from (self.raw), as a real weekly
        delivery does: the files counted before are unchanged, one is new. Every step that reads
        the raw data as generated has run by now (generate makes it again for the next size).
        """
        delivery = self.raw / "events" / f"events-{(self.as_of + dt.timedelta(days=7)).isoformat()}.parquet"
        if delivery.exists():
            raise RuntimeError(f"{delivery} exists: this raw folder has had its week; generate it again")
        delivered = deliver_week(self.raw, self.as_of)
        next_as_of = self.as_of + dt.timedelta(days=7)
        base = self.work / "dbt.duckdb"
        target = self.work / "target-next-week"
        shutil.rmtree(target, ignore_errors=True)
        # Parse once for the new as_of_date, so that both kinds of run start from the parse cache.
        self.dbt(Timing(), "parse", raw=self.raw, database=base, target=target, as_of=next_as_of)
        incremental, full, weekly, weekly_full = Timing(), Timing(), Timing(), Timing()
        runs, plans = {}, {}
        for _ in range(self.runs):  # taking turns, so that every kind shares the noise
            for timing, flags in ((weekly, []), (weekly_full, ["--full-refresh"])):
                database = self.work / "weekly.duckdb"
                shutil.copyfile(base, database)
                output = self.dbt(
                    timing, "build", *flags, raw=self.raw, database=database, target=target, as_of=next_as_of
                )
                if not flags:
                    plans["weekly_with_tests"] = merge_decision(output, "the weekly build with its tests")
                    weekly_nodes = raw_scans.raw_scans(target)
                else:
                    weekly_full_nodes = raw_scans.raw_scans(target)
            for kind, timing, flags in (
                ("incremental", incremental, []),
                ("full_refresh", full, ["--full-refresh"]),
            ):
                database = self.work / f"{kind}.duckdb"
                shutil.copyfile(base, database)
                output = self.dbt(
                    timing,
                    "build",
                    *NO_TESTS,
                    *flags,
                    raw=self.raw,
                    database=database,
                    target=target,
                    as_of=next_as_of,
                )
                if kind == "incremental":
                    plans[kind] = merge_decision(output, "the incremental run of the models")
                runs[kind] = {"database": database, "compiled": compiled_code(target, EVENTS_MODEL)}
        for run in runs.values():
            run["scan"] = scan_profile(run["compiled"], run["database"], self.args, self.raw / "events")
        same = compare.differences(
            read_table(runs["incremental"]["database"]), read_table(runs["full_refresh"]["database"])
        )
        differ = [
            f"{table} differs"
            for table in (EVENTS_MODEL, DAILY_MODEL)
            if not same_table(runs["incremental"]["database"], runs["full_refresh"]["database"], table)
        ]
        return {
            "delivered": delivered,
            "plan": plans,
            "weekly_with_tests": weekly,
            "weekly_full_refresh_with_tests": weekly_full,
            "weekly_raw_scans": raw_scans.summary(weekly_nodes),
            "weekly_raw_scan_nodes": weekly_nodes,
            "weekly_full_refresh_raw_scans": raw_scans.summary(weekly_full_nodes),
            "incremental": incremental,
            "full_refresh": full,
            "scan": {kind: run["scan"] for kind, run in runs.items()},
            "differences": same + differ,
        }

    def prepare(self) -> None:
        """The work folder, dbt's profile for it and an empty log."""
        self.work.mkdir(parents=True, exist_ok=True)
        self.profiles.mkdir(exist_ok=True)
        shutil.copy(self.project_dir / "profiles.yml.example", self.profiles / "profiles.yml")
        self.log.write_text("")

    def run(self) -> dict:
        self.prepare()
        result: dict = {"users": self.users, "runs": self.runs, **({"reduced": True} if self.reduced else {})}
        result["peak_memory"] = "measured.py"  # each command's own peak (see measured.py)
        steps = [
            ("generate", self.generate),
            ("implementations", self.implementations),
            ("same_features", self.same_features),
            ("incremental", self.incremental),
        ]
        for name, step in steps[:3] if self.reduced else steps:
            started = time.perf_counter()
            print(f"[{self.users:,} users] {name} ...", end=" ", flush=True, file=sys.stderr)
            result.update(step()) if name == "implementations" else result.update({name: step()})
            print(f"{time.perf_counter() - started:.0f} s", file=sys.stderr)
        return result


def as_json(value):
    """Timings as dicts, anything else JSON cannot hold as text."""
    return asdict(value) if hasattr(value, "seconds") else str(value)


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


def compiled_code(target: Path, model: str) -> str:
    """The SQL a model ran in the last dbt command on `target` (its run_results.json, not a file
    under compiled/, where a unit test's fixture of the same name also lands)."""
    results = json.loads((target / "run_results.json").read_text())["results"]
    return next(r["compiled_code"] for r in results if r["unique_id"].split(".")[::2] == ["model", model])


def scan_profile(compiled_sql: str, database: Path, args: argparse.Namespace, events_dir: Path) -> dict:
    """What DuckDB's Parquet scans do for the events staging model's query (EXPLAIN ANALYZE, JSON):
    an incremental run's scan opens only the new file (its `"$path"` filter picks the files).

    DuckDB 2.0's JSON profile: each operator has "type" and "name" (a scan: "TABLE_SCAN", with the
    name "READ_PARQUET" or "SEQ_SCAN" for a DuckDB table) and, on scans, "row_groups_scanned",
    "total_row_groups_to_scan", "rows_scanned", "bytes_scanned" (Parquet only) and
    "intermediate_rows" (rows passed on). On a Parquet scan "rows_scanned" already counts only the
    rows past the pushed-down filters, so the rows looked at are given as those in the files.
    """
    with duckdb.connect(str(database), read_only=True, config={"memory_limit": args.memory_limit}) as con:
        con.execute(f"set threads = {args.threads}")
        con.execute("set TimeZone = 'UTC'")
        profile = json.loads(con.execute(f"explain (analyze, format json) {compiled_sql}").fetchall()[0][1])
    if "operator" not in profile:  # e.g. {"result": "error"}: a query answered from metadata alone
        raise RuntimeError(f"DuckDB's profile of {EVENTS_MODEL} has no operators: {str(profile)[:200]}")
    parquet, tables, stack = [], [], list(profile["operator"])
    while stack:
        operator = stack.pop()
        stack += operator.get("children", [])
        if operator.get("type") != "TABLE_SCAN":
            continue
        reads_parquet = "READ_PARQUET" in (
            operator.get("name"),
            operator.get("extra_info", {}).get("Function"),
        )
        (parquet if reads_parquet else tables).append(operator)
    if not parquet:
        raise RuntimeError(f"no Parquet scan in DuckDB's profile of {EVENTS_MODEL}: were its keys renamed?")
    files = sorted(events_dir.glob("*.parquet"))
    return {
        "parquet_scans": len(parquet),
        "row_groups_scanned": sum(op["row_groups_scanned"] for op in parquet),
        "row_groups": sum(op["total_row_groups_to_scan"] for op in parquet),
        "rows_out": sum(op["intermediate_rows"] for op in parquet),
        "rows_in_files": sum(pq.ParquetFile(f).metadata.num_rows for f in files),
        "mb_read": sum(op["bytes_scanned"] for op in parquet) / 1e6,
        "mb_in_files": sum(f.stat().st_size for f in files) / 1e6,
        "table_rows_scanned": sum(op["rows_scanned"] for op in tables),  # the model's own DuckDB tables
        "seconds": profile["query"]["total_time"],
    }
