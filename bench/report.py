"""docs/benchmarks.md and docs/benchmarks.png from the results bench/run_bench.py measured."""

from __future__ import annotations

import re
import statistics
from pathlib import Path

TARGET_USERS = 1_000_000
BIG_USERS = 10_000_000
README_START = "<!-- bench:weekly-cost:start -->"
README_END = "<!-- bench:weekly-cost:end -->"
LABELS = {
    "whole_cold": "whole dbt build (every test), cold",
    "whole_warm": "whole dbt build (every test), warm",
    "cold": "dbt build, models only, cold",
    "warm": "dbt build, models only, warm",
    "single": "single DuckDB query",
    "pandas": "pandas",
}


REDUCED = "reduced plan: whole cold build, single query and pandas only"


def reduced(result: dict) -> bool:
    """Whether this size ran the reduced plan (no warm, models-only or weekly builds)."""
    return bool(result.get("reduced"))


def not_run(result: dict) -> str:
    """The cell for what the reduced plan did not run at this size."""
    return f"not run at {size(result['users'])} ({REDUCED})"


def median(timing: dict) -> float:
    return statistics.median(timing["seconds"])


def best(timing: dict) -> float:
    return min(timing["seconds"])


def cpu(timing: dict) -> float:
    return statistics.median(timing["cpu_seconds"])


def mib_to_gb(mib: float) -> float:
    """Peak resident memory is recorded in MiB (the kernel counts KiB); reported in GB (10^9 bytes)."""
    return mib * 2**20 / 1e9


def peak_gb(timing: dict) -> float:
    return mib_to_gb(max(timing["peak_mb"]))


def runs(timing: dict) -> str:
    return ", ".join(f"{s:.1f}" for s in timing["seconds"])


def timings(result: dict) -> dict[str, dict]:
    """Every timed command of one size that ran to the end (not pandas where it failed)."""
    whole = {f"whole_{name}": timing for name, timing in result.get("whole_build", {}).items()}
    found = {**whole, **result.get("dbt", {}), **result["alternatives"]}
    return {name: timing for name, timing in found.items() if timing["seconds"]}


def size(users: int) -> str:
    """10,000,000 as 10M, 20,000 as 20k."""
    for unit, factor in (("M", 1_000_000), ("k", 1_000)):
        if users >= factor and users % factor == 0:
            return f"{users // factor}{unit}"
    return f"{users:,}"


def pandas_failure(result: dict) -> str | None:
    """How pandas failed under its memory cap at this size, or None (it ran, or older results)."""
    failed = result.get("pandas_failed")
    if not failed:
        return None
    return (
        f"pandas: failed at {size(result['users'])}: {failed['error']} (exit code {failed['exit_code']}, "
        f"after {failed['seconds']:.0f} s, peak {mib_to_gb(failed['peak_mb']):.2f} GB, under a "
        f"{failed['memory_cap_gb']:g} GB address-space cap)"
    )


def fmt(value: float | None, spec: str = ".2f", missing: str = "pandas failed") -> str:
    return missing if value is None else format(value, spec)


def raw_scan_lines(results: list[dict]) -> list[str]:
    """How many times each raw table is read by the whole build and by the weekly one."""
    measured = [r for r in results if r.get("raw_scans")]
    if not measured:
        return []
    tables = sorted(measured[0]["raw_scans"])
    lines = [
        "## Raw-table reads per build",
        "",
        "From each build's `manifest.json` and `run_results.json` (`bench/raw_scans.py`): the queries",
        "that read a raw table, directly or through the staging views. An incremental read of events",
        "reads only the new files (what its scan reads is in the weekly section below).",
        "",
        "| users | build | " + " | ".join(tables) + " |",
        "|---:|---|" + "---:|" * len(tables),
    ]
    for r in measured:
        builds = [("whole, cold", r["raw_scans"])]
        if "incremental" in r:
            builds.append(("weekly, incremental", r["incremental"].get("weekly_raw_scans", {})))
        for name, scans in builds:
            cells = []
            for table in tables:
                counts = scans.get(table, {"full": 0, "incremental": 0})
                cells.append(
                    f"{counts['full']}"
                    + (f" + {counts['incremental']} incr." if counts["incremental"] else "")
                )
            lines.append(f"| {r['users']:,} | {name} | " + " | ".join(cells) + " |")
    return lines + [""]


def ratios(result: dict, measure=median) -> dict[str, float | None]:
    """The ratios the targets are about; those with pandas are None where pandas failed."""
    t = {name: measure(timing) for name, timing in timings(result).items()}
    pandas = t.get("pandas")
    if reduced(result):  # only the whole cold build, the single query and pandas ran
        return {
            "whole_cold_vs_single": t["whole_cold"] / t["single"],
            "pandas_vs_whole_cold": None if pandas is None else pandas / t["whole_cold"],
        }
    inc = result["incremental"]
    return {
        "cold_vs_single": t["cold"] / t["single"],
        "warm_vs_single": t["warm"] / t["single"],
        "pandas_vs_cold": None if pandas is None else pandas / t["cold"],
        "pandas_vs_warm": None if pandas is None else pandas / t["warm"],
        "pandas_vs_single": None if pandas is None else pandas / t["single"],
        "incremental_vs_full": measure(inc["incremental"]) / measure(inc["full_refresh"]),
        "weekly_vs_full_with_tests": (
            measure(inc["weekly_with_tests"]) / measure(inc["weekly_full_refresh_with_tests"])
            if "weekly_full_refresh_with_tests" in inc
            else None
        ),
        "model_incremental_vs_full": statistics.median(inc["incremental"]["model_seconds"])
        / statistics.median(inc["full_refresh"]["model_seconds"]),
    }


def cold_parts(result: dict) -> dict[str, float]:
    """A cold build's median wall time split: dbt's start-up and artefacts, the raw-file check, the
    models; and the models against the single query."""
    cold = result["dbt"]["cold"]
    wall, own = median(cold), statistics.median(cold["run_seconds"])
    check = statistics.median(cold["check_seconds"])
    single = median(result["alternatives"]["single"])
    return {
        "wall": wall,
        "startup": wall - own,
        "check": check,
        "models": own - check,
        "single": single,
        "models_vs_single": (own - check) / single,
    }


def missed_targets(result: dict) -> list[str]:
    """What stands between a missed target and the measurement, from the same run's numbers."""
    q, qb = ratios(result), ratios(result, best)
    lines = []
    if q["cold_vs_single"] > 1.5:
        p = cold_parts(result)
        lines.append(
            f"- *within 1.5x of the single query*: of a cold build's {p['wall']:.1f} s, "
            f"{p['startup']:.1f} s are dbt starting up and writing its artefacts, and "
            f"{p['check']:.1f} s the checks of the raw files before any model runs (settings, each "
            f"Parquet file's last bytes and footer); the models take the remaining {p['models']:.1f} s, "
            f"{p['models_vs_single']:.2f}x the single query, which writes no intermediate tables."
        )
    if q["pandas_vs_cold"] is not None and q["pandas_vs_cold"] < 5:
        lines.append(
            f"- *5x faster than pandas*: the single hand-written query, the lower bound for DuckDB, "
            f"is itself only {q['pandas_vs_single']:.1f}x faster than pandas here "
            f"({qb['pandas_vs_single']:.1f}x on the best runs), so no dbt build on this engine "
            "can reach 5x on this machine and these data."
        )
    return lines


def weekly_events_reads(result: dict) -> dict | None:
    """The weekly build's reads of the raw events: full reads, incremental ones, and by whom."""
    inc = result["incremental"]
    scans = inc.get("weekly_raw_scans")
    if scans is None:
        return None
    counts = scans.get("events", {"full": 0, "incremental": 0})
    names = inc.get("weekly_raw_scan_nodes", {}).get("events", {}).get("full")
    return {**counts, "names": names}


def plan_text(result: dict, run: str = "weekly_with_tests") -> str | None:
    """The events staging model's plan as dbt logged it in that weekly run (None in older results)."""
    return result["incremental"].get("plan", {}).get(run)


def whole_build_targets(result: dict) -> list[str]:
    """Issue #12's targets on the job users run: the whole build, tests included."""
    if "whole_build" not in result:
        return []
    single = median(result["alternatives"]["single"])
    cold = median(result["whole_build"]["cold"]) / single
    weekly = median(result["incremental"]["weekly_with_tests"]) / single
    peak = max(peak_gb(t) for t in result["whole_build"].values())
    builds = [("cold", result["raw_scans"])]
    if "weekly_raw_scans" in result["incremental"]:
        builds.append(("weekly", result["incremental"]["weekly_raw_scans"]))
    most, parts = 0, []
    for name, scans in builds:
        build_most = max(counts["full"] for counts in scans.values())
        over = ", ".join(f"{table} {c['full']}" for table, c in sorted(scans.items()) if c["full"] > 2)
        parts.append(f"{name}: at most {build_most}" + (f" ({over})" if over else ""))
        most = max(most, build_most)
    versus_full = ratios(result)["weekly_vs_full_with_tests"]
    rows = [
        f"| whole dbt build, cold, within 2x of the single query (wall) | {cold:.2f}x "
        f"| {verdict(cold <= 2)} |",
        f"| weekly incremental build with its tests within 1.5x of the single query (wall) | {weekly:.2f}x "
        f"| {verdict(weekly <= 1.5)} |",
        "| weekly incremental build with its tests at most 50% of the same week's `--full-refresh` build "
        "with its tests (wall) | "
        + (
            f"{versus_full:.0%} | {verdict(versus_full <= 0.5)} |"
            if versus_full is not None
            else "not measured by this run (older results) | not checked |"
        ),
        f"| each raw table fully read at most twice per build | {'; '.join(parts)} | {verdict(most <= 2)} |",
    ]
    events = weekly_events_reads(result)
    plan = plan_text(result)
    label = "| events read in full at most once in a weekly build, besides the new files |"
    if events is None or plan is None:
        rows.append(f"{label} not recorded by this run (older results) | not checked |")
    else:
        merged = plan.startswith("merging ")
        rows.append(
            f"{label} weekly build: {events['full']} full read(s), {events['incremental']} of the new "
            f"files only; plan: `{plan}` | {verdict(events['full'] <= 1 and merged)} |"
        )
    rows.append(f"| whole dbt build under 3 GB peak memory | {peak:.2f} GB | {verdict(peak < 3)} |")
    return rows


def whole_build_misses(result: dict) -> list[str]:
    """Why a target on the whole build is missed, from the same run's numbers."""
    if "whole_build" not in result:
        return []
    lines = []
    single = median(result["alternatives"]["single"])
    cold = result["whole_build"]["cold"]
    if median(cold) / single > 2:
        wall, own = median(cold), statistics.median(cold["run_seconds"])
        tests = statistics.median(cold.get("test_seconds") or [0])
        models = median(result["dbt"]["cold"])
        lines.append(
            f"- *whole build within 2x*: of its {wall:.1f} s, {wall - own:.1f} s are dbt starting up and "
            f"writing its artefacts; the tests take {tests:.1f} s of node time (on dbt's 2 threads); the "
            f"models alone, cold, take {models:.1f} s ({models / single:.2f}x the single query)."
        )
    weekly_timing = result["incremental"]["weekly_with_tests"]
    weekly = median(weekly_timing)
    if weekly / single > 1.5:
        own = statistics.median(weekly_timing["run_seconds"]) if weekly_timing.get("run_seconds") else weekly
        tests = statistics.median(weekly_timing.get("test_seconds") or [0])
        lines.append(
            f"- *weekly build within 1.5x*: {weekly:.1f} s against the single query's {single:.1f} s; "
            f"{weekly - own:.1f} s of it are dbt starting up and writing its artefacts, the tests take "
            f"{tests:.1f} s of node time; the models alone, incrementally, take "
            f"{median(result['incremental']['incremental']):.1f} s "
            "(every model but the events one is rebuilt each week, since the feature window moves on)."
        )
    versus_full = ratios(result)["weekly_vs_full_with_tests"]
    if versus_full is not None and versus_full > 0.5:
        inc = result["incremental"]
        full_timing = inc["weekly_full_refresh_with_tests"]
        events_weekly = statistics.median(weekly_timing["model_seconds"])
        events_full = statistics.median(full_timing["model_seconds"])
        lines.append(
            f"- *weekly build at most 50% of a full refresh*: {weekly:.1f} s against "
            f"{median(full_timing):.1f} s ({versus_full:.0%}); the events staging model takes "
            f"{events_weekly:.1f} s against {events_full:.1f} s, and everything else runs in both: the "
            "profiles (each raw table read once for its checks), every other model (the feature "
            "window moves on each week), the tests, and dbt starting up."
        )
    over = {t: names for t, names in result.get("raw_scan_nodes", {}).items() if len(names["full"]) > 2}
    for table, names in sorted(over.items()):
        lines.append(
            f"- *{table} read at most twice*: read {len(names['full'])} times by the cold build, by "
            f"{', '.join(names['full'])}: the checks beyond the models and the profile are defined on "
            "the intermediate models and the mart, and read the raw table through its staging view."
        )
    weekly_over = {
        t: c["full"] for t, c in result["incremental"].get("weekly_raw_scans", {}).items() if c["full"] > 2
    }
    if weekly_over:
        lines.append(
            "- *raw tables read at most twice* in the weekly build: "
            + ", ".join(f"{table} {n} times" for table, n in sorted(weekly_over.items()))
            + "."
        )
    events, plan = weekly_events_reads(result), plan_text(result)
    if events is not None and plan is not None and events["full"] > 1:
        by = f", by {', '.join(events['names'])}" if events["names"] else ""
        lines.append(
            f"- *events read in full at most once in a weekly build*: it reads the raw events in full "
            f"{events['full']} times{by}, besides the staging model's read of the new files (`{plan}`)."
        )
    return lines


def generator_target(results: list[dict]) -> tuple[str, list[str]]:
    """The generator's row rate and peak memory at every size measured: the row and any miss."""
    cells, misses = [], []
    for r in results:
        rate, peak = r["generate"]["rows_per_second"], peak_gb(r["generate"]["timing"])
        cells.append(f"{size(r['users'])}: {rate / 1e6:.2f} M rows/s, {peak:.2f} GB")
        if rate <= 1e6 or peak >= 4:
            gen = r["generate"]
            misses.append(
                f"- *generator over 1M rows/s, under 4 GB* at {r['users']:,} users: "
                f"{sum(gen['rows'].values()):,} rows in {median(gen['timing']):.1f} s "
                f"({cpu(gen['timing']):.1f} s of CPU), peak {peak:.2f} GB."
            )
    row = (
        f"| generator over 1M rows per second and under 4 GB peak memory, at every size | "
        f"{'; '.join(cells)} | {verdict(not misses)} |"
    )
    return row, misses


def big_targets(results: list[dict]) -> tuple[list[str], list[str]]:
    """At 10,000,000 users: the whole build's peak memory and its wall time against linear growth."""
    big = next((r for r in results if r["users"] == BIG_USERS), None)
    base = next((r for r in results if r["users"] == TARGET_USERS), None)
    peak_row = f"| at {size(BIG_USERS)} users: whole dbt build under 3 GB peak memory |"
    growth_row = (
        f"| at {size(BIG_USERS)} users: whole build's wall time grows at most linearly from "
        f"{size(TARGET_USERS)} (wall time per user, {size(BIG_USERS)} / {size(TARGET_USERS)}, at most 1.1x) |"
    )
    if big is None or "whole_build" not in big:
        return [f"{peak_row} not run | not run |", f"{growth_row} not run | not run |"], []
    rows, misses = [], []
    peak = max(peak_gb(t) for t in big["whole_build"].values())
    rows.append(f"{peak_row} {peak:.2f} GB | {verdict(peak < 3)} |")
    if peak >= 3:
        parts = ", ".join(f"{name} {peak_gb(t):.2f} GB" for name, t in big["whole_build"].items())
        misses.append(
            f"- *whole build under 3 GB at {size(BIG_USERS)}*: {parts}; DuckDB's memory_limit "
            "is the same as at the smaller sizes, the rest is dbt and what DuckDB keeps outside that limit."
        )
    if base is None or "whole_build" not in base:
        rows.append(f"{growth_row} no {size(TARGET_USERS)} result to compare with | not checked |")
        return rows, misses
    wall_big, wall_base = median(big["whole_build"]["cold"]), median(base["whole_build"]["cold"])
    per_user = (wall_big / BIG_USERS) / (wall_base / TARGET_USERS)
    rows.append(
        f"{growth_row} {wall_base:.1f} s to {wall_big:.1f} s: {wall_big / wall_base:.1f}x for "
        f"{BIG_USERS // TARGET_USERS}x the users, {per_user:.2f}x the time per user "
        f"| {verdict(per_user <= 1.1)} |"
    )
    if per_user > 1.1:
        tests_big = statistics.median(big["whole_build"]["cold"].get("test_seconds") or [0])
        tests_base = statistics.median(base["whole_build"]["cold"].get("test_seconds") or [0])
        tests = (
            f"the tests' node time from {tests_base:.1f} s to {tests_big:.1f} s "
            f"({tests_big / max(tests_base, 1e-9):.1f}x), with the same DuckDB memory_limit."
        )
        if "dbt" in big and "dbt" in base:
            models_big, models_base = median(big["dbt"]["cold"]), median(base["dbt"]["cold"])
            misses.append(
                f"- *linear growth to {size(BIG_USERS)}*: the models alone went from {models_base:.1f} s to "
                f"{models_big:.1f} s ({models_big / models_base:.1f}x), {tests}"
            )
        else:  # the reduced plan: no models-only build, dbt's own run time instead
            own_big = statistics.median(big["whole_build"]["cold"]["run_seconds"])
            own_base = statistics.median(base["whole_build"]["cold"]["run_seconds"])
            misses.append(
                f"- *linear growth to {size(BIG_USERS)}*: dbt's own run time of the whole build (after "
                f"start-up) went from {own_base:.1f} s to {own_big:.1f} s ({own_big / own_base:.1f}x), "
                f"{tests}"
            )
    return rows, misses


def scan_cells(scan: dict) -> str:
    """Row groups, MB and rows of the events scan; older results lack the files' totals."""
    files_mb = f" of {scan['mb_in_files']:.0f}" if "mb_in_files" in scan else ""
    files_rows = scan.get("rows_in_files", scan.get("rows_scanned"))
    return (
        f"{scan['row_groups_scanned']} of {scan['row_groups']}, {scan['mb_read']:.0f}{files_mb} MB, "
        f"{scan['rows_out']:,} of {files_rows:,} rows"
    )


def verdict(ok: bool) -> str:
    return "met" if ok else "**missed**"


def ratio_rows(result: dict) -> list[tuple[str, dict, str]]:
    """One size's ratios per row of the ratio tables: (measure, ratios, text for a pandas failure)."""
    failed = f"pandas: failed at {size(result['users'])}"
    return [
        ("wall, median", ratios(result), failed),
        ("wall, best run", ratios(result, best), failed),
        ("CPU", ratios(result, cpu), failed),
    ]


def markdown(data: dict, chart: str) -> str:
    m, s = data["machine"], data["settings"]
    results = data["results"]
    lines = [
        "# Benchmarks",
        "",
        f"Written by `make bench` (`bench/run_bench.py --runs {s['runs']}`); every number below was "
        f"measured by that run, started {data['started']} and {data['minutes']} minutes long. Rerun it "
        "to refresh this page; `python bench/report.py` redraws it from `docs/benchmarks.json`.",
        *(
            [
                "",
                "Sizes measured by an earlier run with the same settings and kept (`--resume`): "
                + ", ".join(f"{k['users']:,} users (started {k['started']})" for k in data["resumed"])
                + ".",
            ]
            if data.get("resumed")
            else []
        ),
        *(
            [
                "",
                "Peak memory at "
                + ", ".join(f"{r['users']:,}" for r in results if r.get("peak_memory") != "measured.py")
                + " users was read before `bench/measured.py` existed: each command was forked from the "
                "benchmark's own process, and Linux counts a process's peak from the fork on, so those "
                "figures are upper bounds (the benchmark's own peak, if larger, in their place).",
            ]
            if any(r.get("peak_memory") != "measured.py" for r in results)
            else []
        ),
        "",
        f"- Machine: {m['cpus']} cores, {m['memory_gib']} GiB, shared with other work: load average "
        f"{', '.join(f'{x:.1f}' for x in data['load_average_before'])} before the run and "
        f"{', '.join(f'{x:.1f}' for x in data['load_average_after'])} after.",
        f"- Software: DuckDB {m['duckdb']}, dbt-core {m['dbt']} with dbt-duckdb {m['dbt-duckdb']}, "
        f"pandas {m['pandas']}, Python {m['python']}.",
        f"- DuckDB `memory_limit` {s['memory_limit']} and {s['duckdb_threads']} threads, for dbt "
        "(through the profile: `DUCKDB_MEMORY_LIMIT`, `DUCKDB_THREADS`) and the single query alike; "
        "dbt runs its models on the profile's 2 threads.",
        f"- Wall time: the median of {s['runs']} runs (one run at 10,000,000 users), each a fresh process, "
        "from process start to exit. Peak memory: the largest resident set of any of those runs "
        "(the process and its children, as the kernel counts it), in GB of 10^9 bytes.",
        "- Data: `customer-mart generate --seed 42 --now 2026-06-30`, Parquet; `as_of_date` 2026-06-30.",
        *(
            [
                f"- At {', '.join(format(r['users'], ',') for r in results if reduced(r))} users, "
                f"the {REDUCED}, "
                "run once: the whole `dbt build` cold (every test, with its peak memory and raw-table "
                "reads), the single query and pandas; no warm build, no models-only builds and no "
                "weekly run. Its features are the whole build's mart, compared with the others."
            ]
            if any(reduced(r) for r in results)
            else []
        ),
        "",
        f"![Wall time and peak memory per implementation]({chart})",
        "",
        "## Time and memory",
        "",
        "| users | what | median wall (s) | runs, wall (s) | median CPU (s) | peak memory (GB) |",
        "|---:|---|---:|---|---:|---:|",
    ]
    for r in results:
        users = f"{r['users']:,}"
        gen = r["generate"]
        lines.append(
            f"| {users} | generator: {sum(gen['rows'].values()):,} rows, "
            f"{gen['rows_per_second'] / 1e6:.2f} M rows/s | {median(gen['timing']):.1f} "
            f"| {runs(gen['timing'])} | {cpu(gen['timing']):.1f} | {peak_gb(gen['timing']):.2f} |"
        )
        parse = r["dbt_parse"]
        lines.append(
            f"| {users} | dbt parse, no cache (once) | {median(parse):.1f} | {runs(parse)} "
            f"| {cpu(parse):.1f} | {peak_gb(parse):.2f} |"
        )
        for name, timing in timings(r).items():
            cells = [LABELS[name], f"{median(timing):.1f}", runs(timing), f"{cpu(timing):.1f}"]
            cells.append(f"{peak_gb(timing):.2f}")
            lines.append(f"| {users} | {' | '.join(cells)} |")
        failed = r.get("pandas_failed")
        if failed:
            lines.append(
                f"| {users} | {pandas_failure(r)} | {failed['seconds']:.1f} until it failed | – | – "
                f"| {mib_to_gb(failed['peak_mb']):.2f} until it failed |"
            )
    lines += [
        "",
        "- *cold*: a new DuckDB file, everything built from the raw files; *warm*: the same command "
        "again on that file. Both start from dbt's parse cache (`target/partial_parse.msgpack`), as "
        "every run but a project's very first does; parsing without it is timed on its own above. "
        "Both are `dbt build --select +customer_features --exclude "
        "resource_type:test resource_type:unit_test`: the mart and everything upstream, no tests. "
        "In a warm run the incremental events staging model has no new raw file to merge, as in a real "
        "rerun.",
        "- *single DuckDB query*: `bench/single_query.sql`, the lower bound for this engine, written "
        "into a new DuckDB file. *pandas*: `bench/pandas_features.py`, written to Parquet.",
        "- The four take turns (cold, warm, single query, pandas, then again), so that a busy spell on "
        "the shared machine falls on all of them. CPU time (user and system, all threads) moves less "
        "than wall time when the machine is busy. The ratios below are given on the median wall "
        "time (what the targets are about), the best run's wall time and the median CPU time.",
        "",
        *raw_scan_lines(results),
        "Where dbt's time goes (medians): the rest of each dbt run is dbt itself starting, loading "
        "its parse cache and writing its artefacts.",
        "",
        "| users | run | wall (s) | dbt's own run time (s) | raw-file check (s) | events staging (s) |",
        "|---:|---|---:|---:|---:|---:|",
    ]
    for r in results:
        runs_here = (
            [("whole build (every test), cold", r["whole_build"]["cold"])]
            if reduced(r)
            else [(name, r["dbt"][name]) for name in ("cold", "warm")]
        )
        for name, t in runs_here:
            own, check, events = (
                statistics.median(t[key]) for key in ("run_seconds", "check_seconds", "model_seconds")
            )
            lines.append(
                f"| {r['users']:,} | {name} | {median(t):.1f} | {own:.1f} | {check:.1f} | {events:.1f} |"
            )
    lines += [
        "",
        "## Ratios",
        "",
        "| users | measure | dbt cold / single query | dbt warm / single query | pandas / dbt cold "
        "| pandas / dbt warm | weekly incremental / full refresh |",
        "|---:|---|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        if reduced(r):
            continue
        for measure, q, failed in ratio_rows(r):
            lines.append(
                f"| {r['users']:,} | {measure} | {q['cold_vs_single']:.2f} | {q['warm_vs_single']:.2f} "
                f"| {fmt(q['pandas_vs_cold'], missing=failed)} | {fmt(q['pandas_vs_warm'], missing=failed)} "
                f"| {q['incremental_vs_full']:.0%} |"
            )
    small = [r for r in results if reduced(r)]
    if small:
        lines += [
            "",
            f"Where the {REDUCED} ran, there is no models-only, warm or weekly build to compare:",
            "",
            "| users | measure | whole dbt build cold / single query | pandas / whole dbt build cold |",
            "|---:|---|---:|---:|",
        ]
        for r in small:
            for measure, q, failed in ratio_rows(r):
                lines.append(
                    f"| {r['users']:,} | {measure} | {q['whole_cold_vs_single']:.2f} "
                    f"| {fmt(q['pandas_vs_whole_cold'], missing=failed)} |"
                )
    target = next((r for r in results if r["users"] == TARGET_USERS and not reduced(r)), None)
    if target:
        q, qc = ratios(target), ratios(target, cpu)
        dbt_peak = max(peak_gb(target["dbt"]["cold"]), peak_gb(target["dbt"]["warm"]))
        generator_row, generator_misses = generator_target(results)
        big_rows, big_misses = big_targets(results)
        if q["pandas_vs_cold"] is None:
            pandas_row = f"| dbt build at least 5x faster than pandas (wall) | {pandas_failure(target)} | – |"
        else:
            pandas_row = (
                f"| dbt build at least 5x faster than pandas (wall) | cold {q['pandas_vs_cold']:.2f}x, "
                f"warm {q['pandas_vs_warm']:.2f}x "
                f"(CPU: {qc['pandas_vs_cold']:.2f}x, {qc['pandas_vs_warm']:.2f}x) "
                f"| cold {verdict(q['pandas_vs_cold'] >= 5)}, warm {verdict(q['pandas_vs_warm'] >= 5)} |"
            )
        lines += [
            "",
            f"### Targets at {TARGET_USERS:,} users",
            "",
            "| target | measured | |",
            "|---|---|---|",
            *whole_build_targets(target),
            f"| dbt build within 1.5x of the single query (wall) | cold {q['cold_vs_single']:.2f}x, "
            f"warm {q['warm_vs_single']:.2f}x "
            f"(CPU: {qc['cold_vs_single']:.2f}x, {qc['warm_vs_single']:.2f}x) "
            f"| cold {verdict(q['cold_vs_single'] <= 1.5)}, warm {verdict(q['warm_vs_single'] <= 1.5)} |",
            pandas_row,
            f"| dbt build (models only) under 3 GB peak memory | {dbt_peak:.2f} GB "
            f"| {verdict(dbt_peak < 3)} |",
            generator_row,
            *big_rows,
            *postgres_target(data),
            "",
            *whole_build_misses(target),
            *missed_targets(target),
            *generator_misses,
            *big_misses,
        ]
    lines += [
        "",
        "## The weekly incremental run",
        "",
        "`bench/weekly_delivery.py` adds one file to `events/`: the week after 2026-06-30 (the last",
        "week's events moved on seven days, new ids), late events for the three days before it (new",
        "ids, original times), re-delivered copies (same ids) and corrected copies (same id, a day",
        "later), into the same raw folder the database was built from, as a real delivery lands. Then,",
        "from copies of the warm database, `dbt build` (incremental) and `dbt build --full-refresh`, both",
        "with `as_of_date` 2026-07-07 and a warm parse cache, no tests; and the whole weekly `dbt build`",
        "with every test, incremental and with `--full-refresh`. An incremental run that rebuilds from",
        "every file stops the bench: each must log that the events staging model merges the new file",
        "only. What the plan said (dbt's log line after `stg_thelook__events: `):",
        "",
        *plan_lines(results),
        "",
        "| users | rows delivered | whole weekly build with its tests: incremental / full refresh (s) "
        "| models only: incremental (s) | full refresh (s) | ratio | events staging: incremental / full (s) "
        "| events scan, incremental / full: row groups read, MB read, rows passed on |",
        "|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in results:
        if reduced(r):
            continue
        inc = r["incremental"]
        scan = inc["scan"]
        full_whole = inc.get("weekly_full_refresh_with_tests")
        whole = f"{median(inc['weekly_with_tests']):.1f} / " + (
            f"{median(full_whole):.1f}" if full_whole else "–"
        )
        lines.append(
            f"| {r['users']:,} | {sum(inc['delivered'].values()):,} | {whole} "
            f"| {median(inc['incremental']):.1f} | {median(inc['full_refresh']):.1f} "
            f"| {ratios(r)['incremental_vs_full']:.0%} "
            f"| {statistics.median(inc['incremental']['model_seconds']):.1f} / "
            f"{statistics.median(inc['full_refresh']['model_seconds']):.1f} "
            f"| {scan_cells(scan['incremental'])} / {scan_cells(scan['full_refresh'])} |"
        )
    if small:
        lines += ["", *(f"- {r['users']:,} users: {not_run(r)}." for r in small)]
    lines += [
        "",
        "The events scan is read from DuckDB's `EXPLAIN ANALYZE` (JSON) of the query the staging model "
        "ran: the row groups the Parquet reader read of those in the files, the bytes it read of the "
        "files' size, and the rows it passed on of the rows in the files. An incremental run's "
        '`"$path"` filter leaves DuckDB only the new file to open.',
        "",
        *postgres_lines(data),
        "",
        "## What the numbers say",
        "",
        *reading(results),
        "",
        "## Same features",
        "",
    ]
    for r in results:
        checks = dict(r["same_features"])
        if not reduced(r):
            checks["incremental vs full refresh"] = r["incremental"]["differences"]
        for what, problems in checks.items():
            state = "identical" if not problems else f"**{len(problems)} differences**: {problems[:3]}"
            lines.append(f"- {r['users']:,} users, dbt's mart against {what}: {state}.")
        if pandas_failure(r) and "pandas" not in r["same_features"]:
            lines.append(
                f"- {r['users']:,} users, dbt's mart against pandas: not compared, {pandas_failure(r)}."
            )
    lines += [
        "",
        "Compared column by column (`bench/compare.py`): integers, text, dates and cents exactly, the",
        "distance within one rounding step at the metre, the return rate to 1e-12.",
        "`tests/python/test_bench_implementations.py` (run first by `make bench`) and",
        "`tests/python/test_incremental.py` (in `make test`) check the same on small data with",
        "repeated, re-delivered and malformed rows.",
        "",
        "## Reproduce",
        "",
        "```bash",
        "make bench                       # 100,000 and 1,000,000 users",
        "make bench BENCH_FLAGS=--with-10m  # and 10,000,000 (reduced plan, once: whole cold build,",
        "                                   # single query, pandas)",
        ".venv/bin/python bench/run_bench.py --help",
        "```",
        "",
    ]
    if target and "pandas" in target["alternatives"] and not any(r["users"] >= BIG_USERS for r in results):
        gen_peak, pandas_peak = (
            peak_gb(target["generate"]["timing"]),
            peak_gb(target["alternatives"]["pandas"]),
        )
        lines += [
            f"Not run here at {BIG_USERS:,} users. The generator's and pandas' peak memory grows with the "
            f"data ({gen_peak:.1f} GB and {pandas_peak:.1f} GB at {TARGET_USERS:,} users): ten times "
            f"pandas' is beyond this {data['machine']['memory_gib']:.0f} GiB machine, so there pandas runs "
            "under an address-space cap (`--pandas-memory-cap-gb`, 16 by default) and how it fails is "
            "recorded in place of its timing.",
            "",
        ]
    return "\n".join(lines)


def postgres_events(data: dict) -> dict | None:
    """The PostgreSQL measurement's raw events reads per build, or None where it did not run."""
    pg = data.get("postgres")
    if not pg:
        return None
    return {
        "rows": pg["raw_rows"]["events"],
        "new": pg["new_file_rows"],
        **{build: pg[build]["rows_read"].get("events", 0) for build in ("cold", "weekly", "full_refresh")},
    }


def postgres_target(data: dict) -> list[str]:
    """The target on the warehouse path: a weekly build reads the raw events in full at most once."""
    label = (
        "| on PostgreSQL, a weekly build reads the raw events in full at most once plus the new files' "
        "rows, fewer raw rows than a full refresh |"
    )
    e = postgres_events(data)
    if e is None:
        return [f"{label} not measured by this run | not checked |"]
    bound = e["rows"] + e["new"]
    return [
        f"{label} at {size(data['postgres']['users'])} users: {e['weekly']:,} raw event rows read "
        f"(the table holds {e['rows']:,}, the new file {e['new']:,}), against {e['full_refresh']:,} for "
        f"the full refresh | {verdict(e['weekly'] <= bound and e['weekly'] < e['full_refresh'])} |"
    ]


def postgres_lines(data: dict) -> list[str]:
    """The section on the rows each raw table gave to each build on PostgreSQL."""
    pg = data.get("postgres")
    if not pg:
        return []
    tables = sorted(pg["raw_rows"])
    lines = [
        "## Raw reads on PostgreSQL",
        "",
        f"`bench/postgres_reads.py` at {pg['users']:,} users (started {pg['started']}): the raw tables "
        "loaded by `customer-mart load` into a throwaway PostgreSQL server, the whole `dbt build "
        "--target postgres` (every test), then the week delivered and loaded again, the weekly build "
        "and a `--full-refresh` build of the same week. Rows read from each raw table by each build, "
        "from `pg_stat_user_tables` (`seq_tup_read` plus `idx_tup_fetch`), against the rows the tables "
        'hold. Redshift runs the same SQL; whether Spectrum skips the files a `"$path"` filter leaves '
        "out is not documented.",
        "",
        "| build | " + " | ".join(tables) + " |",
        "|---|" + "---:|" * len(tables),
        "| rows held | " + " | ".join(f"{pg['raw_rows'][t]:,}" for t in tables) + " |",
    ]
    for build, name in (
        ("cold", "cold"),
        ("weekly", "weekly, incremental"),
        ("full_refresh", "weekly, --full-refresh"),
    ):
        read = pg[build]["rows_read"]
        lines.append(f"| {name} | " + " | ".join(f"{read.get(t, 0):,}" for t in tables) + " |")
    plans = "; ".join(
        f"{name}: `{pg[build]['plan'][-1]}`"
        for build, name in (("weekly", "weekly"), ("full_refresh", "full refresh"))
        if pg[build]["plan"]
    )
    lines += [
        "",
        f"The new file held {pg['new_file_rows']:,} event rows. What stg_thelook__events said: {plans}.",
        "",
    ]
    return lines


def postgres_sentence(data: dict) -> str:
    """The README's clause on the warehouse path, where the PostgreSQL measurement ran."""
    e = postgres_events(data)
    if e is None:
        return ""
    return (
        f" On PostgreSQL ({size(data['postgres']['users'])} users), a weekly build read {e['weekly']:,} raw "
        f"event rows of {e['rows']:,} (a full refresh {e['full_refresh']:,})."
    )


def plan_lines(results: list[dict]) -> list[str]:
    """The events staging model's plan in each incremental weekly run, as dbt logged it."""
    lines = []
    for r in results:
        if reduced(r):
            lines.append(f"- {r['users']:,} users: {not_run(r)}")
            continue
        for run, label in (
            ("weekly_with_tests", "weekly build with its tests"),
            ("incremental", "models only"),
        ):
            plan = plan_text(r, run)
            said = f"`{plan}`" if plan else "not recorded (results from before the bench checked it)"
            lines.append(f"- {r['users']:,} users, {label}: {said}")
    return lines


def reading(results: list[dict]) -> list[str]:
    """Plain statements computed from the measurements: where the time goes, per size."""
    lines = []
    for r in results:
        if reduced(r):
            lines.append(reduced_reading(r))
            continue
        p, warm = cold_parts(r), r["dbt"]["warm"]
        inc = r["incremental"]
        inc_wall, full_wall = median(inc["incremental"]), median(inc["full_refresh"])
        inc_model = statistics.median(inc["incremental"]["model_seconds"])
        full_model = statistics.median(inc["full_refresh"]["model_seconds"])
        lines += [
            f"- **{r['users']:,} users.** Of a cold build's {p['wall']:.1f} s, dbt starting up, loading "
            f"the project and writing its artefacts takes {p['startup']:.1f} s "
            f"({p['startup'] / p['wall']:.0%}); the check of the raw files before any model runs "
            f"{p['check']:.1f} s; the models themselves take {p['models']:.1f} s, "
            f"{p['models_vs_single']:.2f}x the single query's "
            f"{p['single']:.1f} s. A warm build takes {median(warm):.1f} s: the events staging model has "
            f"no new file to merge. In the weekly run the events staging model takes {inc_model:.1f} s "
            f"incrementally against {full_model:.1f} s in a full refresh ({inc_model / full_model:.0%}, "
            f"its plan included); the models-only build {inc_wall:.1f} s against {full_wall:.1f} s "
            f"({inc_wall / full_wall:.0%}), since the other models (users, order items, distances) are "
            "rebuilt every week and dbt's own start-up stays.",
        ]
    scanned = [
        (r["users"], r["incremental"]["scan"]["incremental"])
        for r in results
        if not reduced(r) and "rows_in_files" in r["incremental"]["scan"]["incremental"]
    ]
    if scanned:
        users, scan = scanned[-1]
        skipped = scan["row_groups"] - scan["row_groups_scanned"]
        lines += [
            f"- At {users:,} users the incremental run's Parquet scan passed on {scan['rows_out']:,} of the "
            f"files' {scan['rows_in_files']:,} rows and read {scan['row_groups_scanned']} of "
            f"{scan['row_groups']} row groups, {scan['mb_read']:.0f} of {scan['mb_in_files']:.0f} MB "
            f"({skipped} row groups, in the files merged before, not opened at all): the new file only.",
        ]
    return lines


def reduced_reading(r: dict) -> str:
    """Where the whole cold build's time goes at a size that ran the reduced plan."""
    cold = r["whole_build"]["cold"]
    wall, own = median(cold), statistics.median(cold["run_seconds"])
    check = statistics.median(cold["check_seconds"])
    tests = statistics.median(cold.get("test_seconds") or [0])
    single = median(r["alternatives"]["single"])
    return (
        f"- **{r['users']:,} users** ({REDUCED}). Of the whole cold build's {wall:.1f} s, dbt starting up, "
        f"loading the project and writing its artefacts takes {wall - own:.1f} s "
        f"({(wall - own) / wall:.0%}); "
        f"the check of the raw files before any model runs {check:.1f} s; the tests {tests:.1f} s of node "
        f"time (on dbt's 2 threads). The single query takes {single:.1f} s ({wall / single:.2f}x)"
        + (
            f": it ran out of memory under DuckDB's {r['single_failed']['memory_limit']} (the limit the "
            f"dbt build ran in) after {r['single_failed']['seconds']:.0f} s, with "
            f"`{r['single_failed']['error']}`, and this time is its second run, under "
            f"{r['single_failed']['retried_with']}: one statement holds every operator's memory at once, "
            "where the dbt models each hold their own."
            if r.get("single_failed")
            else "."
        )
    )


def readme_block(data: dict) -> str:
    """README.md's speed paragraph: what the weekly job costs at 1,000,000 users, from this run."""
    import textwrap

    day = data["started"][:10]
    link = "[docs/benchmarks.md](docs/benchmarks.md)"
    target = next(
        (r for r in data["results"] if r["users"] == TARGET_USERS and "whole_build" in r and not reduced(r)),
        None,
    )
    if target is None:
        text = (
            f"The weekly job's cost at {TARGET_USERS:,} users is written here by `make bench`; its run of "
            f"{day} did not measure that size (see {link})."
        )
        return textwrap.fill(text, width=100)
    m = data["machine"]
    single = median(target["alternatives"]["single"])
    cold, weekly = target["whole_build"]["cold"], target["incremental"]["weekly_with_tests"]
    most = max(counts["full"] for counts in target["raw_scans"].values())
    events = weekly_events_reads(target)
    text = (
        f"At {TARGET_USERS:,} users on {m['cpus']} cores (`make bench` of {day}, {link}): the whole cold "
        f"`dbt build` with every test takes {median(cold):.1f} s (median wall, peak {peak_gb(cold):.2f} GB) "
        f"against {single:.1f} s for one hand-written DuckDB query; the weekly incremental build with its "
        f"tests takes {median(weekly):.1f} s. A cold build reads each raw table at most {most} times in full"
        + (
            f"; the weekly one reads the raw events {events['full']} time(s) in full besides the new files."
            if events
            else "."
        )
        + postgres_sentence(data)
    )
    return textwrap.fill(text, width=100)


def update_readme(data: dict, readme: Path) -> None:
    """Rewrite the speed paragraph of README.md, between its bench:weekly-cost markers."""
    text = readme.read_text()
    pattern = re.compile(f"({re.escape(README_START)}\n).*?(\n{re.escape(README_END)})", re.DOTALL)
    if not pattern.search(text):
        raise RuntimeError(f"{readme} has no {README_START} ... {README_END} block")
    readme.write_text(pattern.sub(lambda found: found[1] + readme_block(data) + found[2], text, count=1))


def chart(data: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import NullFormatter, ScalarFormatter

    results = data["results"]
    names = ["cold", "warm", "single", "pandas"]
    colours = {"cold": "#1f77b4", "warm": "#7fb3e0", "single": "#2ca02c", "pandas": "#d62728"}
    sizes = [f"{r['users']:,} users" for r in results]
    fig, (times, memory, weekly) = plt.subplots(1, 3, figsize=(14, 4.6))
    width = 0.2

    def bars(axis, xs, values, colour, label=None, fmt="{:.1f}"):
        """Bars of the values; a missing value is an empty bar, noted "failed" (None: pandas failed
        there) or with the text given in its place ("not run": the reduced plan)."""
        numbers = [v if isinstance(v, float | int) else None for v in values]
        drawn = axis.bar(xs, [0 if v is None else v for v in numbers], width, color=colour, label=label)
        labels = ["" if v is None else fmt.format(v) for v in numbers]
        axis.bar_label(drawn, labels, fontsize=7, padding=1)
        for x, v in zip(xs, values, strict=True):
            if not isinstance(
                v, float | int
            ):  # at the foot of the axis, which a log scale's zero never reaches
                axis.annotate(
                    "failed" if v is None else v,
                    (x, 0.02),
                    xycoords=("data", "axes fraction"),
                    ha="center",
                    va="bottom",
                    fontsize=7,
                    rotation=90,
                    color=colour,
                )

    def measured(result, name, measure):
        if reduced(result) and name in ("cold", "warm"):
            return "not run"
        timing = timings(result).get(name)
        return None if timing is None else measure(timing)

    for i, name in enumerate(names):
        xs = [j + (i - 1.5) * width for j in range(len(results))]
        bars(times, xs, [measured(r, name, median) for r in results], colours[name], LABELS[name])
        bars(memory, xs, [measured(r, name, peak_gb) for r in results], colours[name], fmt="{:.2f}")
    for i, (kind, colour, label) in enumerate(
        (
            ("incremental", "#ff7f0e", "incremental (a week added)"),
            ("full_refresh", "#1f77b4", "--full-refresh"),
        )
    ):
        xs = [j + (i - 0.5) * width for j in range(len(results))]
        values = ["not run" if reduced(r) else median(r["incremental"][kind]) for r in results]
        bars(weekly, xs, values, colour, label)

    for axis, title, unit in (
        (times, "Wall time, median", "seconds (log scale)"),
        (memory, "Peak memory", "GB"),
        (weekly, "Weekly run: dbt build", "seconds"),
    ):
        axis.set_xticks(range(len(results)), sizes)
        axis.set_title(title)
        axis.set_ylabel(unit)
        axis.grid(axis="y", alpha=0.3)
        axis.margins(y=0.15)
    times.set_yscale("log")
    times.yaxis.set_major_formatter(ScalarFormatter())
    times.yaxis.set_minor_formatter(NullFormatter())
    memory.axhline(3, color="grey", linestyle="--", linewidth=1)
    memory.annotate("3 GB", (0, 3), xytext=(2, 2), textcoords="offset points", color="grey", fontsize=8)
    for axis in (times, weekly):
        axis.legend(loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=2, fontsize=8, frameon=False)
    fig.suptitle("customer_features: dbt on DuckDB against one hand-written DuckDB query and pandas")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main() -> None:
    import argparse
    import json

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--json", default="docs/benchmarks.json")
    parser.add_argument("--markdown", default="docs/benchmarks.md")
    parser.add_argument("--chart", default="docs/benchmarks.png")
    parser.add_argument("--readme", help="also rewrite this README.md's speed paragraph (README.md)")
    args = parser.parse_args()
    data = json.loads(Path(args.json).read_text())
    Path(args.markdown).write_text(markdown(data, chart=Path(args.chart).name))
    chart(data, Path(args.chart))
    if args.readme:
        update_readme(data, Path(args.readme))


if __name__ == "__main__":
    main()
