"""The benchmark's hand-written DuckDB query and pandas code compute the mart's exact features;
the bench's own machinery (the weekly run's merge check, pandas under its memory cap, the report
and the README's speed paragraph) does what it says.

`make bench` times them against dbt; this proves, on small data with repeated, re-delivered and
malformed rows, that the three compute the same thing. It is a benchmark check, not a test of the
mart: `make bench` runs it first (`pytest -m bench`), and `make test` leaves it out, so that a rule
changed in the models does not also have to be restated in the benchmark's baselines to pass.
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from conftest import PROJECT_DIR, DbtProject

from customer_mart.benchmark import compare, pandas_features, runner, single_query

pytestmark = pytest.mark.bench

AS_OF = dt.date(2026, 6, 30)

# A second file per table: later or tied copies of some rows, padded and respelled text,
# invalid coordinates, negative prices, anonymous events, NULL ids.
MESS = {
    "users": """
        select * replace (created_at + interval 1 hour as created_at, '  ' || state || ' ' as state,
            case when id % 3 = 0 then 123.0 else latitude end as latitude, age + 1 as age)
        from rows where hash(id) % 20 = 0
        union all select * from rows where hash(id) % 50 = 1
        union all select * replace (null as id) from rows where id = 1
    """,
    "order_items": """
        select * replace (created_at + interval 1 day as created_at, ' ' || upper(status) as status,
            case when id % 4 = 0 then -sale_price else sale_price end as sale_price)
        from rows where hash(id) % 10 = 0
        union all select * from rows where hash(id) % 50 = 1
    """,
    "inventory_items": """
        select * replace (created_at + interval 1 hour as created_at, cost * 1.37 as cost)
        from rows where hash(id) % 10 = 0
    """,
    "events": """
        select * replace (created_at + interval 1 day as created_at,
            ' ' || traffic_source || ' ' as traffic_source,
            case when id % 5 = 0 then null else user_id end as user_id)
        from rows where hash(id) % 10 = 0
        union all select * from rows where hash(id) % 30 = 1
        union all select * replace (null as id) from rows where id = 1
    """,
    "distribution_centers": """
        select * replace ('A copy of ' || name as name, latitude + 1 as latitude) from rows where id = 3
        union all select * replace (99 as id, 100.0 as latitude) from rows where id = 1
    """,
}


@pytest.fixture(scope="module")
def messy_raw_dir(small_generated_dir, tmp_path_factory):
    raw = tmp_path_factory.mktemp("messy")
    shutil.copytree(small_generated_dir, raw, dirs_exist_ok=True)
    with duckdb.connect() as con:
        con.execute("set TimeZone = 'UTC'")
        for table, sql in MESS.items():
            folder = (raw / table).as_posix()
            con.execute(
                f"create or replace temp view rows as select * from read_parquet('{folder}/*.parquet')"
            )
            con.execute(f"copy ({sql}) to '{folder}/{table}-000000000001.parquet' (format parquet)")
    return raw


@pytest.fixture(scope="module")
def mart(messy_raw_dir, tmp_path_factory) -> pd.DataFrame:
    project = DbtProject(workdir=tmp_path_factory.mktemp("dbt"), raw_dir=messy_raw_dir)
    project.run("run", vars={"as_of_date": AS_OF.isoformat()})
    with duckdb.connect(str(project.duckdb_path), read_only=True) as con:
        built = con.sql("select * from customer_features").df()
    assert len(built) > 1900
    assert set(built["profit_level"]) == {1, 2, 3}
    assert built["nearest_dc_id"].isna().any() and built["most_traffic_source"].isna().any()
    return built


def test_single_duckdb_query_matches_the_mart(mart, messy_raw_dir):
    features = single_query.compute(messy_raw_dir, AS_OF).to_pandas()
    assert compare.differences(mart, features) == []


def test_pandas_implementation_matches_the_mart(mart, messy_raw_dir):
    features = pandas_features.compute(messy_raw_dir, AS_OF)
    assert compare.differences(mart, features) == []


def test_the_comparison_sees_a_difference(mart):
    changed = mart.copy()
    changed.loc[changed.index[0], "purchase_amount_last_year"] += 0.01
    changed.loc[changed.index[1], "most_traffic_source"] = "Nowhere"
    found = compare.differences(mart, changed)
    assert [line.split(":")[0] for line in found] == ["purchase_amount_last_year", "most_traffic_source"]


# ------------------------------------- the bench's runs (customer_mart.benchmark.runner) and bench/report.py


def bench_for(tmp_path, raw_dir, users: int = 2000, **settings) -> runner.Bench:
    """A Bench on a copy of `raw_dir` (the weekly delivery writes into its raw folder)."""
    args = argparse.Namespace(
        work_dir=str(tmp_path / "bench"),
        now=AS_OF.isoformat(),
        seed=7,
        runs=1,
        memory_limit="1GB",
        threads=2,
        pandas_memory_cap_gb=16.0,
        pandas_cap_from_users=10_000_000,
        pandas_stall_seconds=120.0,
    )
    for name, value in settings.items():
        setattr(args, name, value)
    bench = runner.Bench(args, users, PROJECT_DIR)
    bench.prepare()
    shutil.copytree(raw_dir, bench.raw)
    return bench


def test_the_weekly_run_merges_only_the_new_file(small_generated_dir, tmp_path):
    """The week lands where the base database was built from, so the events staging model takes
    its incremental path in both weekly runs, and the scan profile sees it open the new file only."""
    bench = bench_for(tmp_path, small_generated_dir)
    bench.dbt(
        runner.Timing(),
        "build",
        *runner.NO_TESTS,
        raw=bench.raw,
        database=bench.work / "dbt.duckdb",
        target=bench.work / "target",
        as_of=bench.as_of,
    )
    weekly = bench.incremental()
    assert set(weekly["plan"]) == {"weekly_with_tests", "incremental"}
    for plan in weekly["plan"].values():
        assert plan.startswith("merging 1 new raw events file(s)"), plan
    assert weekly["differences"] == []
    assert weekly["weekly_raw_scans"]["events"] == {"full": 1, "incremental": 1}
    assert weekly["weekly_full_refresh_raw_scans"]["events"]["incremental"] == 0
    assert weekly["weekly_full_refresh_with_tests"].seconds
    incremental, full = weekly["scan"]["incremental"], weekly["scan"]["full_refresh"]
    new_file = weekly["delivered"]
    assert incremental["rows_in_files"] == full["rows_in_files"] > 0
    assert incremental["rows_out"] == sum(new_file.values()) < full["rows_out"] == full["rows_in_files"]
    assert 0 < incremental["mb_read"] < full["mb_read"] <= full["mb_in_files"]
    # The row groups to scan are the new file's only: the files merged before are not opened.
    assert 0 < incremental["row_groups_scanned"] == incremental["row_groups"] < full["row_groups"]


def test_a_weekly_run_that_rebuilds_from_every_file_stops_the_bench():
    line = (
        "18:01:02  stg_thelook__events: rebuilding from every raw events file (9): of the files merged "
        "before, 2 gone (first /elsewhere/events-000000000000.parquet) (a re-export, a correction, a "
        "removed file or another RAW_DATA_DIR).\n"
    )
    with pytest.raises(RuntimeError, match="rebuilding from every raw events file"):
        runner.merge_decision("18:01:01  Running with dbt\n" + line, "the weekly build")
    with pytest.raises(RuntimeError, match="no merge plan"):
        runner.merge_decision("18:01:01  Running with dbt\n", "the weekly build")
    kept = "merging 1 new raw events file(s) (first x.parquet); the 8 merged before are unchanged."
    assert runner.merge_decision(f"x\n18:01:02  stg_thelook__events: {kept}\n", "run") == kept


def test_pandas_failing_under_its_memory_cap_is_recorded(small_generated_dir, tmp_path):
    # A cap far too small even to load numpy: the failure path, quickly, at any size.
    bench = bench_for(tmp_path, small_generated_dir, pandas_memory_cap_gb=0.05, pandas_cap_from_users=1)
    timing = runner.Timing()
    bench.run_pandas(timing)
    failed = bench.pandas_failed
    assert failed is not None and timing.seconds == []
    assert failed["exit_code"] != 0 and failed["error"] and failed["memory_cap_gb"] == 0.05
    assert failed["seconds"] > 0 and failed["peak_mb"] > 0
    assert not (bench.work / "pandas.parquet").exists()


def test_a_stuck_process_under_the_cap_is_killed(tmp_path):
    (tmp_path / "raw").mkdir()
    bench = bench_for(tmp_path, tmp_path / "raw")  # no raw data needed here
    started = time.perf_counter()
    with pytest.raises(runner.CommandFailed) as failed:
        bench.measure(
            runner.Timing(),
            [sys.executable, "-c", "import time; time.sleep(60)"],
            memory_cap_gb=4,
            stall_seconds=1,
        )
    assert time.perf_counter() - started < 30
    assert failed.value.returncode == -9 and "used no CPU for 1 s" in failed.value.last_line


def report(data: dict, tmp_path, page: Path | None = None, readme: Path | None = None) -> str:
    """bench/report.py on these results, as a user runs it; the page it wrote (where `page` does not
    exist, a page of the tables alone)."""
    page = page or tmp_path / "b.md"
    (tmp_path / "b.json").write_text(json.dumps(data))
    command = [sys.executable, str(PROJECT_DIR / "bench" / "report.py"), "--json", str(tmp_path / "b.json")]
    command += ["--markdown", str(page), "--chart", str(tmp_path / "b.png")]
    subprocess.run(command + (["--readme", str(readme)] if readme else []), check=True, cwd=tmp_path)
    assert (tmp_path / "b.png").stat().st_size > 0
    return page.read_text()


def block(text: str, name: str) -> str:
    return text.split(f"<!-- bench:table:{name}:start -->")[1].split(f"<!-- bench:table:{name}:end -->")[0]


@pytest.fixture
def results():
    """The results `make bench` last wrote (docs/benchmarks.json)."""
    return json.loads((PROJECT_DIR / "docs" / "benchmarks.json").read_text())


def test_the_committed_page_and_readme_are_what_the_report_makes_of_the_committed_results(results, tmp_path):
    """docs/benchmarks.md's tables and README.md's speed paragraph are those of docs/benchmarks.json:
    rewritten from it, neither changes (the hand-written text around them stays as it is)."""
    for name in ("docs/benchmarks.md", "README.md"):
        shutil.copy(PROJECT_DIR / name, tmp_path / Path(name).name)
    text = report(results, tmp_path, page=tmp_path / "benchmarks.md", readme=tmp_path / "README.md")
    assert text == (PROJECT_DIR / "docs" / "benchmarks.md").read_text()
    assert (tmp_path / "README.md").read_text() == (PROJECT_DIR / "README.md").read_text()
    ratios = block(text, "ratios")
    assert "| whole dbt build (every test), cold / single DuckDB query | at most 2 | **missed** |" in ratios
    assert "| ratio | target at 1M | at 1M | 100k: wall, median |" in ratios


def test_a_page_without_one_of_the_blocks_is_refused(results, tmp_path):
    text = (PROJECT_DIR / "docs" / "benchmarks.md").read_text()
    (tmp_path / "b.md").write_text(text.replace("<!-- bench:table:plans:end -->", ""))
    with pytest.raises(subprocess.CalledProcessError):
        report(results, tmp_path)
    assert (tmp_path / "b.md").read_text() == text.replace("<!-- bench:table:plans:end -->", "")


def test_the_readme_speed_paragraph_comes_from_the_results(results, tmp_path):
    readme = tmp_path / "README.md"
    start, end = "<!-- bench:weekly-cost:start -->", "<!-- bench:weekly-cost:end -->"
    readme.write_text(f"# x\n\n## Speed\n\n{start}\nuntil make bench runs\n{end}\n\n## More\n")
    report(results, tmp_path, readme=readme)
    text = readme.read_text()
    at_1m = next(r for r in results["results"] if r["users"] == 1_000_000)
    cold = statistics.median(at_1m["whole_build"]["cold"]["seconds"])
    assert "until make bench runs" not in text
    assert text.startswith("# x\n\n## Speed\n\n") and text.endswith(f"{end}\n\n## More\n")
    assert f"{cold:.1f} s" in text and results["started"][:10] in text
    assert "[docs/benchmarks.md](docs/benchmarks.md)" in text
    assert len(text.split(start)[1].split(end)[0].strip().splitlines()) <= 6
    report(results, tmp_path, readme=readme)  # again: the same block, rewritten in place
    assert readme.read_text() == text
    readme.write_text("# no block\n")
    with pytest.raises(subprocess.CalledProcessError):
        report(results, tmp_path, readme=readme)


def test_the_report_with_the_reduced_plan_and_failures_at_10m(results, tmp_path):
    """At 10M, the reduced plan (whole cold build, single query, pandas), pandas failing under its
    cap and the single query's first try failing: the tables say so, the 1M rows stay as they were."""
    before = report(results, tmp_path)
    at_1m = next(r for r in results["results"] if r["users"] == 1_000_000)
    at_10m = copy.deepcopy(at_1m) | {"users": 10_000_000, "runs": 1, "reduced": True}
    for key in ("dbt", "incremental"):
        del at_10m[key]
    del at_10m["whole_build"]["warm"], at_10m["alternatives"]["pandas"], at_10m["same_features"]["pandas"]
    at_10m["pandas_failed"] = {
        "exit_code": -9,
        "error": "used no CPU for 120 s (stuck), killed",
        "seconds": 640.0,
    }
    at_10m["pandas_failed"] |= {"peak_mb": 14_000.0, "memory_cap_gb": 16.0}
    at_10m["single_failed"] = {"exit_code": 1, "error": "OutOfMemoryException: x", "seconds": 300.0}
    at_10m["single_failed"] |= {"peak_mb": 2_000.0, "memory_limit": "2GB", "retried_with": "12GB"}
    results["results"].append(at_10m)
    text = report(results, tmp_path)
    time_rows = block(text, "time")
    assert "| 10,000,000 | whole dbt build (every test), cold |" in time_rows
    assert "| 10,000,000 | dbt build, models only" not in time_rows
    assert (
        "| 10,000,000 | pandas under a 16 GB cap: failed, used no CPU for 120 s (stuck), killed "
        "(exit code -9) | 640.0 until then | – | – | 14.68 until then |" in time_rows
    )
    assert "| 10,000,000 | single DuckDB query under 2GB (timed above under 12GB): failed, " in time_rows
    ratios = {row.split(" | ")[0]: row.split(" | ")[-3:] for row in block(text, "ratios").splitlines() if row}
    assert ratios["| pandas / single DuckDB query"] == ["pandas failed", "pandas failed", "pandas failed |"]
    assert ratios["| dbt build, models only, cold / single DuckDB query"] == ["–", "–", "– |"]
    assert "| 10,000,000 | not run (reduced plan) |" in block(text, "weekly")
    assert "| DuckDB, 10,000,000 users | – | not run |" in block(text, "plans")
    assert "| 10,000,000 | pandas | not compared: pandas failed |" in block(text, "same")
    assert "| 10,000,000 users | 1 run(s), reduced plan |" in block(text, "run")
    for name in ("time", "dbt-time", "weekly", "same"):  # the 1M rows as without the 10M result
        rows = [line for line in block(text, name).splitlines() if line.startswith("| 1,000,000 |")]
        assert rows and rows == [
            line for line in block(before, name).splitlines() if line.startswith("| 1,000,000 |")
        ]


def test_the_report_with_postgres_raw_reads(results, tmp_path):
    """The PostgreSQL table and plans, from a measurement as bench/postgres_reads.py records it."""
    tables = [
        "distribution_centers",
        "events",
        "inventory_items",
        "order_items",
        "orders",
        "products",
        "users",
    ]

    def build(events: int, plan: str) -> dict:
        return {"rows_read": dict.fromkeys(tables, 2000) | {"events": events}, "plan": [plan]}

    results["postgres"] = {
        "users": 20_000,
        "started": "2026-12-04T18:00:00+00:00",
        "raw_rows": dict.fromkeys(tables, 1000) | {"events": 480_000},
        "new_file_rows": 6_000,
        "cold": build(960_000, "building from every raw events file, the first build."),
        "weekly": build(
            486_000, "merging 1 new raw events file(s) (first x); the 8 merged before are unchanged."
        ),
        "full_refresh": build(960_000, "building from every raw events file, --full-refresh."),
    }
    text = report(results, tmp_path)
    postgres = block(text, "postgres")
    assert "| rows held | 1,000 | 480,000 | 1,000 |" in postgres
    assert "| rows in the new file | – | 6,000 | – |" in postgres
    assert "| read by the weekly build | 2,000 | 486,000 | 2,000 |" in postgres
    assert "| PostgreSQL, 20,000 users | --full-refresh build | `building from every raw events file" in text
    del results["postgres"]
    assert "Not measured by this run (`--postgres-users 0`)." in block(report(results, tmp_path), "postgres")


def test_a_tiny_run_of_the_reduced_plan(tmp_path):
    out = tmp_path / "out"
    command = [
        sys.executable,
        str(PROJECT_DIR / "bench" / "run_bench.py"),
        "--users",
        "2000",
        "--reduced-from-users",
        "2000",
        "--runs",
        "1",
        "--memory-limit",
        "1GB",
        "--postgres-users",
        "0",
        "--work-dir",
        str(tmp_path / "work"),
        "--markdown",
        str(out / "b.md"),
        "--chart",
        str(out / "b.png"),
        "--json",
        str(out / "b.json"),
    ]
    out.mkdir()
    subprocess.run(command, cwd=PROJECT_DIR, check=True, capture_output=True, text=True)
    (result,) = json.loads((out / "b.json").read_text())["results"]
    assert result["reduced"] is True and "incremental" not in result and "dbt" not in result
    assert set(result["whole_build"]) == {"cold"} and result["same_features"]["single query"] == []
    assert result["same_features"]["pandas"] == [] and result["raw_scans"]
    assert not (tmp_path / "work" / "2000" / "dbt.duckdb").exists()
    text = (out / "b.md").read_text()
    assert "| 2,000 | whole dbt build (every test), cold |" in text
    assert "| 2,000 | whole dbt build (every test), warm |" not in text
    assert "| 2,000 | not run (reduced plan) |" in block(text, "weekly")
    assert "| 2,000 | single query | identical |" in block(text, "same")
    readme = tmp_path / "README.md"  # no 1,000,000 users here: the paragraph says so
    readme.write_text("<!-- bench:weekly-cost:start -->\n\n<!-- bench:weekly-cost:end -->\n")
    report(json.loads((out / "b.json").read_text()), tmp_path, readme=readme)
    said = " ".join(readme.read_text().split())
    assert "1,000,000 users is written here by `make bench`; its run of" in said
    assert "did not measure that size" in said
    assert (out / "b.png").stat().st_size > 0
