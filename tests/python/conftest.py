"""Shared fixtures: a way to run the dbt project against throwaway raw data and warehouses."""

from __future__ import annotations

import gzip
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

PROJECT_DIR = Path(__file__).resolve().parents[2]
FIXTURES_DIR = PROJECT_DIR / "tests" / "fixtures"
BIN_DIR = Path(sys.executable).parent


def cli_env(**env: str) -> dict[str, str]:
    """The environment of a `customer-mart` command a test runs: this interpreter's scripts on PATH,
    and PYTHONPATH passed on when set (make mutation runs the tests of a mutated copy with its
    `src/` first there; a command started without it would import the unmutated package)."""
    passed = {"PYTHONPATH": os.environ["PYTHONPATH"]} if os.environ.get("PYTHONPATH") else {}
    return {"PATH": str(BIN_DIR), **passed, **env}


@dataclass
class DbtProject:
    """The project's dbt, run from the project root against one DuckDB file and one raw folder."""

    workdir: Path
    raw_dir: Path
    # RAW_FILE_FORMAT; None leaves it unset, the default: each table's format detected from its files.
    file_format: str | None = "parquet"
    target: str = "duckdb"
    extra_env: dict[str, str] = field(default_factory=dict)
    # Hand-made raw folders that leave tables empty on purpose: the volume guard (an empty raw
    # table stops the build) is told so with max_raw_table_shrink 1, as an operator would.
    empty_tables_expected: bool = False
    # The dbt project to run: the repository's, or a copy a test changed.
    project_dir: Path = PROJECT_DIR
    # Vars every command gets (a call's own vars win), e.g. max_raw_table_age_days for hand-made
    # raw data far older than the weeks a test builds, as an operator would pass them.
    default_vars: dict = field(default_factory=dict)

    @property
    def duckdb_path(self) -> Path:
        return self.workdir / "warehouse.duckdb"

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            DUCKDB_PATH=str(self.duckdb_path),
            RAW_DATA_DIR=str(self.raw_dir),
            DBT_TARGET=self.target,
            DBT_SEND_ANONYMOUS_USAGE_STATS="false",
        )
        env.pop("RAW_FILE_FORMAT", None)
        if self.file_format is not None:
            env["RAW_FILE_FORMAT"] = self.file_format
        env.update(self.extra_env)
        return env

    def run(
        self, *args: str, vars: dict | None = None, check: bool = True, launcher: list[str] | None = None
    ) -> subprocess.CompletedProcess:
        """dbt with these arguments; `launcher` replaces the `dbt` executable (e.g. a wrapper script)."""
        profiles = self.workdir / "profiles"
        if not profiles.exists():
            profiles.mkdir(parents=True)
            shutil.copy(PROJECT_DIR / "profiles.yml.example", profiles / "profiles.yml")
        command = [
            *(launcher or [str(BIN_DIR / "dbt")]),
            *args,
            "--profiles-dir",
            str(profiles),
            "--target-path",
            str(self.workdir / "target"),
            "--log-path",
            str(self.workdir / "logs"),
        ]
        if self.empty_tables_expected:
            vars = {"max_raw_table_shrink": 1, **(vars or {})}
        if self.default_vars:
            vars = {**self.default_vars, **(vars or {})}
        if vars:
            command += ["--vars", repr(vars)]
        result = subprocess.run(
            command, cwd=self.project_dir, env=self.env(), capture_output=True, text=True, check=False
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"dbt {' '.join(args)} failed ({result.returncode}):\n{result.stdout[-6000:]}{result.stderr}"
            )
        return result

    def query(self, sql: str) -> list[dict]:
        import duckdb

        with duckdb.connect(str(self.duckdb_path), read_only=True) as con:
            cursor = con.execute(sql)
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def results(self) -> dict[str, dict]:
        """The last command's node results from run_results.json, by node name (tests by their name)."""
        import json

        run = json.loads((self.workdir / "target" / "run_results.json").read_text())
        return {r["unique_id"].split(".")[2]: r for r in run["results"]}


@pytest.fixture
def dbt_project(tmp_path: Path) -> Callable[..., DbtProject]:
    def make(raw_dir: Path, file_format: str | None = "parquet", **kwargs) -> DbtProject:
        workdir = tmp_path / f"dbt-{len(list(tmp_path.glob('dbt-*')))}"
        workdir.mkdir()
        return DbtProject(workdir=workdir, raw_dir=raw_dir, file_format=file_format, **kwargs)

    return make


@pytest.fixture(scope="session")
def session_dbt_project(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., DbtProject]:
    """Like `dbt_project`, for a build that several tests share (module- or session-scoped fixtures)."""

    def make(raw_dir: Path, file_format: str | None = "parquet", **kwargs) -> DbtProject:
        workdir = tmp_path_factory.mktemp("dbt")
        return DbtProject(workdir=workdir, raw_dir=raw_dir, file_format=file_format, **kwargs)

    return make


@pytest.fixture(scope="session")
def official_sample_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real generator's 3,000-user CSV export (kept gzipped in the fixtures), unpacked."""
    out = tmp_path_factory.mktemp("official-sample-3k")
    for packed in sorted((FIXTURES_DIR / "official-sample-3k").glob("*/*.csv.gz")):
        target = out / packed.parent.name / packed.name.removesuffix(".gz")
        target.parent.mkdir(parents=True, exist_ok=True)
        with gzip.open(packed, "rb") as src, target.open("wb") as dst:
            shutil.copyfileobj(src, dst)
    return out


@pytest.fixture(scope="session")
def small_generated_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small generated raw dataset (Parquet), made once per test session."""
    from customer_mart.generate import generate

    out = tmp_path_factory.mktemp("generated-2k")
    generate(users=2000, seed=7, out=str(out), file_format="parquet", now="2026-06-30", progress=False)
    return out


@pytest.fixture(scope="session")
def official_sample_parquet_dir(official_sample_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The official 3,000-user sample as typed Parquet files, as the generator writes them."""
    import duckdb

    from customer_mart.schema import COLUMNS

    types = {"INT64": "bigint", "FLOAT64": "double", "STRING": "varchar", "TIMESTAMP": "timestamptz"}
    out = tmp_path_factory.mktemp("official-sample-3k-parquet")
    with duckdb.connect() as con:
        con.execute("set TimeZone = 'UTC'")
        for table, columns in COLUMNS.items():
            (out / table).mkdir()
            casts = ", ".join(f"cast({name} as {types[kind]}) as {name}" for name, kind in columns)
            source = f"read_csv('{official_sample_dir}/{table}/*.csv', header = true, all_varchar = true)"
            target = out / table / f"{table}-000000000000.parquet"
            con.execute(f"copy (select {casts} from {source}) to '{target}'")
    return out


@pytest.fixture(scope="session")
def small_warehouse(tmp_path_factory: pytest.TempPathFactory, small_generated_dir: Path) -> DbtProject:
    """The small generated dataset built into a DuckDB by one `dbt build`, as the weekly job runs it
    (every seed, model, snapshot and test; measured no slower than `dbt seed` plus `dbt run`: 32 s
    against 35 s at 2,000 users, one parse instead of two), once per session, for tests that read
    the mart (segments, docs). The build's run_results.json is kept as build_run_results.json
    (later commands rewrite the target folder's). Copy the file before writing to it."""
    workdir = tmp_path_factory.mktemp("small-warehouse")
    project = DbtProject(workdir=workdir, raw_dir=small_generated_dir)
    project.run("build", vars={"as_of_date": "2026-06-30"})
    shutil.copy(workdir / "target" / "run_results.json", workdir / "build_run_results.json")
    return project


@pytest.fixture(scope="session")
def postgres_server():
    """A throwaway PostgreSQL server for the session (tests/python/postgres_server.py).

    Skipped, with how to install PostgreSQL, where its binaries are missing; in CI (CI=true) that
    is a failure instead, as is a server that does not start anywhere.
    """
    from postgres_server import require_bin_dir, running_server

    with running_server(require_bin_dir()) as server:
        yield server


@pytest.fixture(scope="module")
def moto_endpoint():
    """moto in server mode, in a thread of this process, on a free port of 127.0.0.1.

    moto keeps its fake accounts in the process, shared by every server and `mock_aws` it runs:
    the state is reset first, so that a module never sees the buckets an earlier one made."""
    import requests
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    requests.post(f"{endpoint}/moto-api/reset", timeout=10).raise_for_status()
    yield endpoint
    server.stop()
