"""Bad input: every fault of `customer-mart corrupt` is named by its warning, with its row count,
and contained: the mart keeps every customer once, customers no fault touched come out exactly
as from the clean data, and the customers a fault touched have the features the reference
(tests/python/reference_features.py) computes from the corrupted files. Unreadable files stop the
build and leave the previous mart in place.

One clean and one corrupted build per engine and raw format (the official 3,000-user sample: CSV,
with RAW_FILE_FORMAT unset as by default, and typed Parquet on DuckDB; the CSV loaded by
`customer-mart load` into PostgreSQL); each fault kind is a separate test reading the shared builds.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from reference_features import compute, differences

from customer_mart.faults import CSV_ONLY, FAULTS, corrupt

PROJECT_DIR = Path(__file__).resolve().parents[2]
AS_OF = "2026-07-01"
SEED = 5
FAILED = ("error", "fail", "runtime error", "skipped", "partial success")


# Checks of the raw text that only DuckDB reading CSV can make: on PostgreSQL the loader has
# already read the CSV into typed columns (short rows padded, offsets converted), so they stay quiet.
CSV_TEXT_CHECKS = ("_rows_cut_short", "_in_other_time_zones")


@dataclass
class Build:
    project: object
    stdout: str
    results: dict[str, dict]
    mart: dict[int, dict]

    def failures(self, test: str) -> int:
        return self.results[test]["failures"]


def build(project, postgres=None, database: str | None = None) -> Build:
    """dbt build on DuckDB, or with `postgres` (a server) on a database loaded from the raw folder."""
    if postgres:
        from customer_mart.load import load_postgres

        postgres.create_database(database)
        load_postgres(project.raw_dir, env=postgres.env(database), log=lambda _: None)
    result = project.run("build", vars={"as_of_date": AS_OF})
    if postgres:
        rows = postgres.query(database, "select * from customer_mart.customer_features")
    else:
        rows = project.query("select * from customer_features")
    return Build(project, result.stdout, project.results(), {r["user_id"]: r for r in rows})


@functools.cache
def reference(raw_dir: Path) -> dict[int, dict]:
    return compute(raw_dir, dt.date.fromisoformat(AS_OF))


BUILDS = ("duckdb-csv", "duckdb-parquet", "postgres-csv")
# Each fault kind on each build that can hold it: CSV-only faults are not written into Parquet.
FAULT_CASES = [
    pytest.param(name, kind, id=f"{name}-{kind}")
    for name in BUILDS
    for kind in FAULTS
    if name.endswith("csv") or kind not in CSV_ONLY
]


@pytest.fixture(scope="module")
def builds(request, official_sample_dir, official_sample_parquet_dir, session_dbt_project, tmp_path_factory):
    """`builds(name)`: (engine, clean, manifest, corrupted) for a name of BUILDS, built once per module
    and shared by every test that names it."""

    @functools.cache
    def make(name: str) -> tuple:
        engine, file_format = name.split("-")
        raw = official_sample_dir if file_format == "csv" else official_sample_parquet_dir
        corrupted_dir = tmp_path_factory.mktemp(f"corrupted-{file_format}")
        manifest = corrupt(raw, corrupted_dir, seed=SEED)
        if engine == "duckdb":
            # CSV with RAW_FILE_FORMAT unset, the default: each table's format detected from its
            # files, which the CSV-only checks must see too (they once read the setting, 'auto').
            setting = None if file_format == "csv" else file_format
            clean = build(session_dbt_project(raw, file_format=setting))
            corrupted = build(session_dbt_project(corrupted_dir, file_format=setting))
            return engine, clean, manifest, corrupted

        server = request.getfixturevalue("postgres_server")  # skips where PostgreSQL is not installed

        def project(raw_dir: Path, database: str):
            env = {**server.env(database), "PGSCHEMA": "customer_mart", "RAW_SCHEMA": "thelook_raw"}
            return session_dbt_project(raw_dir, file_format=file_format, target="postgres", extra_env=env)

        clean = build(project(raw, "faults_clean"), server, "faults_clean")
        corrupted = build(project(corrupted_dir, "faults_corrupted"), server, "faults_corrupted")
        return engine, clean, manifest, corrupted

    return make


def expected_failures(engine: str, clean: Build, manifest: dict, check: str) -> int:
    if engine == "postgres" and check.endswith(CSV_TEXT_CHECKS):
        return clean.failures(check)
    return clean.failures(check) + manifest["expected_warnings"][check]


def assert_every_customer_once(clean: Build, manifest: dict, corrupted: Build) -> None:
    leaving = {u for f in manifest["faults"].values() if f["leaves_population"] for u in f["user_ids"]}
    assert leaving <= set(clean.mart)
    assert set(corrupted.mart) == set(clean.mart) - leaving
    bad = {name: r["status"] for name, r in corrupted.results.items() if r["status"] in FAILED}
    assert not bad, bad
    # Only warn-severity checks may warn: every error-severity test on the mart passed.
    assert all(name.startswith("warn_") for name, r in corrupted.results.items() if r["status"] == "warn")


def assert_untouched_unchanged(clean: Build, manifest: dict, corrupted: Build) -> None:
    touched = set(manifest["touched_user_ids"])
    changed = [u for u in corrupted.mart if u not in touched and corrupted.mart[u] != clean.mart[u]]
    assert not changed, [(clean.mart[u], corrupted.mart[u]) for u in changed[:3]]


@pytest.mark.parametrize(("name", "kind"), FAULT_CASES)
def test_fault_is_named_and_contained(builds, name, kind):
    engine, clean, manifest, corrupted = builds(name)
    fault = manifest["faults"][kind]

    # Named: each check that reports the fault warns with its clean count plus every row injected
    # into it (by this fault, and by any other that adds to the same check).
    for check in fault["reported_by"]:
        result = corrupted.results[check]
        expected = expected_failures(engine, clean, manifest, check)
        assert (result["status"], result["failures"]) == ("warn" if expected else "pass", expected), check

    # Contained.
    assert_every_customer_once(clean, manifest, corrupted)
    assert_untouched_unchanged(clean, manifest, corrupted)
    for user_id in fault["user_ids"]:
        assert (user_id in corrupted.mart) != fault["leaves_population"]
        if not fault["changes_features"]:
            assert corrupted.mart[user_id] == clean.mart[user_id]

    # The users it touched: as the reference reads the corrupted files (CSV quirks, offsets,
    # statuses, repeated ids...), in the mart or out of it.
    expected = reference(corrupted.project.raw_dir)
    assert not differences(corrupted.mart, expected, fault["user_ids"])


@pytest.mark.parametrize("name", BUILDS)
def test_every_warning_is_accounted_for(builds, name):
    """No check warns on the corrupted data but those the manifest names, or as on the clean data."""
    engine, clean, manifest, corrupted = builds(name)
    unexplained = {
        name: result["failures"]
        for name, result in corrupted.results.items()
        if result["status"] == "warn"
        and name not in manifest["expected_warnings"]
        and result["failures"] != clean.failures(name)
    }
    assert not unexplained
    assert "WARN" in corrupted.stdout and "warn_users_duplicate_rows" in corrupted.stdout


@pytest.mark.parametrize("name", BUILDS)
def test_corrupted_mart_equals_the_reference(builds, name):
    """Every customer of the corrupted build, touched or not, as the reference computes them from
    the corrupted files; and the clean build as from the clean files."""
    _, clean, _, corrupted = builds(name)
    assert not differences(corrupted.mart, reference(corrupted.project.raw_dir))
    assert not differences(clean.mart, reference(clean.project.raw_dir))


@pytest.mark.parametrize("name", ["duckdb-csv", "duckdb-parquet"])
def test_unreadable_file_stops_the_build_and_keeps_the_mart(builds, name, session_dbt_project, tmp_path):
    """A truncated Parquet file, or a CSV file without its header row: the build fails naming the
    table and the file, before any model runs, and the previous mart stays as it was."""
    engine, clean, manifest, _ = builds(name)
    file_format = manifest["format"]
    raw = tmp_path / "raw"
    shutil.copytree(clean.project.raw_dir, raw)
    broken = raw / "users" / f"users-000000000000.{file_format}"
    if file_format == "parquet":
        data = broken.read_bytes()
        broken.write_bytes(data[: len(data) // 2])
    else:
        lines = broken.read_text().splitlines(keepends=True)
        broken.write_text("".join(lines[1:]))

    project = session_dbt_project(raw, file_format=file_format)
    shutil.copy(clean.project.duckdb_path, project.duckdb_path)
    result = project.run("build", vars={"as_of_date": AS_OF}, check=False)

    assert result.returncode != 0
    assert f"raw table users: file {broken}" in result.stdout
    rows = {r["user_id"]: r for r in project.query("select * from customer_features")}
    assert rows == clean.mart


@pytest.mark.parametrize("file_format", ["parquet", "csv"])
def test_unreadable_file_stops_the_postgres_load_and_keeps_the_mart(
    builds, file_format, postgres_server, official_sample_dir, official_sample_parquet_dir, tmp_path
):
    """On PostgreSQL the loader reads the files: a truncated Parquet file, or a CSV file without its
    header row, stops `customer-mart load` with an error naming the table and the file, inside one
    transaction, so the raw tables and the mart built on them stay as they were."""
    from customer_mart.load import LoadError, load_postgres

    _, clean, _, _ = builds("postgres-csv")
    server = postgres_server
    raw = tmp_path / "raw"
    shutil.copytree(official_sample_parquet_dir if file_format == "parquet" else official_sample_dir, raw)
    broken = raw / "users" / f"users-000000000000.{file_format}"
    if file_format == "parquet":
        broken.write_bytes(broken.read_bytes()[:1000])
    else:
        broken.write_text("".join(broken.read_text().splitlines(keepends=True)[1:]))

    with pytest.raises(LoadError, match=f"raw table users: file {re.escape(str(broken))} "):
        load_postgres(raw, env=server.env("faults_clean"), log=lambda _: None)
    rows = server.query("faults_clean", "select * from customer_mart.customer_features")
    assert {r["user_id"]: r for r in rows} == clean.mart


def test_corruption_is_reproducible(official_sample_dir, tmp_path):
    first = corrupt(official_sample_dir, tmp_path / "a", seed=SEED)
    second = corrupt(official_sample_dir, tmp_path / "b", seed=SEED)
    assert first == second
    for path in sorted((tmp_path / "a").rglob("*.csv")):
        assert path.read_bytes() == (tmp_path / "b" / path.relative_to(tmp_path / "a")).read_bytes()
