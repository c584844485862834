"""Randomized differential tests: Hypothesis draws small raw datasets (tests/python/raw_strategies.py),
dbt builds the mart from each, and every customer's every column must equal the plain-Python
reference (tests/python/reference_features.py).

Speed: one warehouse file, one raw folder and one parse serve every case. dbt runs in-process
(`dbtRunner`) with the manifest parsed once, so a case is one `dbt build` of the models the mart
is built from, `--full-refresh` (the incremental events model rebuilt whole), with only the mart's
own data tests: its error-severity tests are what would fail a weekly build. The staging and
intermediate models' uniqueness and not-null tests are implied by the comparison (one row per
customer, every value equal), the raw tables' warn-severity tests only count anomalies
(test_faults.py checks them), and the YAML unit tests run in `dbt build` (test_end_to_end.py);
leaving those 44 tests out saved about 3 s a case on the shared 2-core machine.

Budgets (Hypothesis settings profiles, HYPOTHESIS_PROFILE):
- `ci` (the default, in `make test`): 30 examples on DuckDB, 6 on PostgreSQL, derandomized, a
  failure reported as drawn (shrinking can take minutes);
- `long`: 400 examples (HYPOTHESIS_EXAMPLES to change), random, shrunk, for hunts;
- `mutation`: 12 and 4 examples, derandomized, for `make mutation`.

Every difference found becomes a fixed case in REGRESSIONS below, or a YAML unit test.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import PROJECT_DIR
from hypothesis import HealthCheck, Phase, given, settings
from raw_strategies import RawCase, raw_cases
from reference_features import compute, differences

settings.register_profile(
    "ci",
    max_examples=30,
    derandomize=True,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)
settings.register_profile(
    "long",
    parent=settings.get_profile("ci"),
    max_examples=int(os.environ.get("HYPOTHESIS_EXAMPLES", "400")),
    derandomize=False,
    phases=list(Phase),
)
settings.register_profile("mutation", parent=settings.get_profile("ci"), max_examples=12)
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
settings.load_profile(PROFILE)
POSTGRES_EXAMPLES = {"ci": 6, "mutation": 4}.get(PROFILE, max(6, settings().max_examples // 5))

# Per-case wall times, reported at the end of the module (pytest -s, or in the log on failure).
TIMINGS: dict[str, list[float]] = {"duckdb": [], "postgres": []}


@contextlib.contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


class Warehouse:
    """dbt in this process on one raw folder and one warehouse, with the project parsed once."""

    def __init__(self, workdir: Path, target: str, env: dict[str, str]) -> None:
        from dbt.cli.main import dbtRunner

        self.workdir = workdir
        self.raw_dir = workdir / "raw"
        self.raw_dir.mkdir(parents=True, exist_ok=True)
        (workdir / "profiles").mkdir(exist_ok=True)
        shutil.copy(PROJECT_DIR / "profiles.yml.example", workdir / "profiles" / "profiles.yml")
        self.target = target
        self.env = {
            "RAW_DATA_DIR": str(self.raw_dir),
            "RAW_FILE_FORMAT": "csv",
            "DUCKDB_PATH": str(workdir / "warehouse.duckdb"),
            "DBT_TARGET": target,
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            **env,
        }
        self.common = [
            "--project-dir", str(PROJECT_DIR),
            "--profiles-dir", str(workdir / "profiles"),
            "--target-path", str(workdir / "target"),
            "--log-path", str(workdir / "logs"),
            "--quiet",
        ]  # fmt: skip
        with environment(self.env):
            parsed = dbtRunner().invoke(["parse", *self.common])
        assert parsed.success, parsed.exception
        self.runner = dbtRunner(manifest=parsed.result)
        # profit_levels, which a test of the mart reads (every dbt command checks the raw files first).
        RawCase(dt.date(2024, 1, 1), {}, {}, {}, {}).write(self.raw_dir)
        self.invoke("seed")

    def invoke(self, *args: str) -> None:
        with environment(self.env):
            result = self.runner.invoke([*args, *self.common])
        if not result.success:
            failed = [
                f"{r.node.name}: {r.status} {r.message}"
                for r in getattr(result.result, "results", []) or []
                if str(r.status) not in {"success", "pass"}
            ]
            raise AssertionError(f"dbt {args[0]} failed: {result.exception or failed}")

    def build(self, as_of: dt.date) -> None:
        """The mart and everything it is built from, then the mart's data tests."""
        variables = ["--vars", f"{{as_of_date: '{as_of.isoformat()}'}}"]
        self.invoke(
            "build",
            # The models, and only the tests written for the mart (no test picked up through a parent);
            # not the view of the builds (models/marts too), which reads the run history.
            "--select", "+customer_features", "path:models/marts", "path:tests/marts",
            "--exclude", "test_type:unit", "resource_type:exposure", "customer_features_builds+",
            "--indirect-selection", "empty",
            "--full-refresh",
            *variables,
        )  # fmt: skip


def assert_same_features(built: list[dict], expected: dict[int, dict]) -> None:
    """Every customer once, and every column equal (reference_features.differences)."""
    by_id = {row["user_id"]: row for row in built}
    assert len(by_id) == len(built), "user_id repeated in the mart"
    found = differences(by_id, expected)
    assert not found, "(user, column, built, reference): " + repr(found)


@pytest.fixture(scope="module")
def duckdb_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    warehouse = Warehouse(tmp_path_factory.mktemp("differential-duckdb"), "duckdb", {})
    yield warehouse
    report("duckdb")


def report(engine: str) -> None:
    times = sorted(TIMINGS[engine])
    if times:
        print(
            f"\n{engine}: {len(times)} cases, median {times[len(times) // 2]:.2f} s, "
            f"max {times[-1]:.2f} s, total {sum(times):.1f} s"
        )


def check_on_duckdb(warehouse: Warehouse, case: RawCase) -> None:
    started = time.perf_counter()
    case.write(warehouse.raw_dir)
    warehouse.build(case.as_of)
    # dbt-duckdb keeps its DuckDB connection open in this process (keep_open), and DuckDB allows no
    # second connection of another configuration to the file: read the mart through dbt's.
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    cursor = DuckDBConnectionManager.env().conn.cursor()
    try:
        cursor.execute("select * from customer_features")
        names = [d[0] for d in cursor.description]
        built = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    finally:
        cursor.close()
    TIMINGS["duckdb"].append(time.perf_counter() - started)
    assert_same_features(built, compute(warehouse.raw_dir, case.as_of))


# Regression cases: each once found a difference, or pins a corner the strategy reaches rarely.
REGRESSIONS: list[RawCase] = [
    # A users file of two lines, the last cut short after `age`: the raw-file check read it without
    # null_padding and stopped the build ("not possible to automatically detect the CSV parsing
    # dialect") instead of keeping the leading fields; fixed in macros/staging/check_raw_files.sql.
    RawCase(
        as_of=dt.date(2024, 2, 28),
        tables={
            "users": [
                {"id": "1", "age": "30", "created_at": "2020-01-01 00:00:00"},
                {"id": "2", "age": "40", "country": "France", "created_at": "2020-01-01"},
            ]
        },
        quote_all={},
        null_spelling={},
        cut_short={"users": 5},
    ),
    # Every deduplication rule at once, each with copies that change a feature: the latest copy
    # wins (user 1, inventory item 1, order item 1, event 1), and on equal times the
    # documented tie-break (user 2's age, center 1's name, order item 2's user). The drawn
    # examples of the mutation budget missed flipped orders of order items and inventory items.
    RawCase(
        as_of=dt.date(2024, 3, 1),
        tables={
            "users": [
                {"id": "1", "age": "30", "latitude": "0", "longitude": "0", "created_at": "2020-01-01"},
                {"id": "1", "age": "31", "latitude": "0", "longitude": "0", "created_at": "2021-01-01"},
                {"id": "2", "age": "41", "latitude": "0", "longitude": "0", "created_at": "2020-01-01"},
                {"id": "2", "age": "40", "latitude": "0", "longitude": "0", "created_at": "2020-01-01"},
            ],
            "distribution_centers": [
                {"id": "1", "name": "B", "latitude": "0", "longitude": "10"},
                {"id": "1", "name": "A", "latitude": "0", "longitude": "20"},
                {"id": "2", "name": "C", "latitude": "0", "longitude": "15"},
            ],
            "inventory_items": [
                {"id": "1", "cost": "10", "created_at": "2023-01-01"},
                {"id": "1", "cost": "20", "created_at": "2023-02-01"},
            ],
            "order_items": [
                {
                    "id": "1",
                    "user_id": "1",
                    "status": "Complete",
                    "sale_price": "100",
                    "created_at": "2023-06-01",
                },
                {
                    "id": "1",
                    "user_id": "1",
                    "status": "Cancelled",
                    "sale_price": "100",
                    "created_at": "2023-06-02",
                },
                {
                    "id": "2",
                    "user_id": "2",
                    "status": "Complete",
                    "sale_price": "30",
                    "created_at": "2023-07-01",
                },
                {
                    "id": "2",
                    "user_id": "1",
                    "status": "Complete",
                    "sale_price": "30",
                    "created_at": "2023-07-01",
                },
                {
                    "id": "3",
                    "user_id": "1",
                    "inventory_item_id": "1",
                    "status": "Complete",
                    "sale_price": "50",
                    "created_at": "2023-08-01",
                },
            ],
            "events": [
                {"id": "1", "user_id": "1", "traffic_source": "Email", "created_at": "2023-06-01 10:00:00"},
                {"id": "1", "user_id": "1", "traffic_source": "Organic", "created_at": "2023-06-01 11:00:00"},
                {"id": "2", "user_id": "1", "traffic_source": "Organic", "created_at": "2023-06-05"},
                {"id": "3", "user_id": "1", "traffic_source": "Email", "created_at": "2023-06-06"},
            ],
        },
        quote_all={},
        null_spelling={},
        cut_short={},
    ),
    # A price of zero is a price (a free item): its cost counts in the gross profit.
    RawCase(
        as_of=dt.date(2024, 3, 1),
        tables={
            "users": [{"id": "3", "created_at": "2020-01-01"}],
            "inventory_items": [{"id": "2", "cost": "10"}],
            "order_items": [
                {
                    "id": "4",
                    "user_id": "3",
                    "inventory_item_id": "2",
                    "status": "Complete",
                    "sale_price": "0",
                    "created_at": "2023-09-01",
                }
            ],
        },
        quote_all={},
        null_spelling={},
        cut_short={},
    ),
    # An order item without an id, in the window, for a customer: dropped, so nothing is bought
    # (the mutation check's "order item with NULL id kept" survived the drawn examples).
    RawCase(
        as_of=dt.date(2024, 3, 1),
        tables={
            "users": [{"id": "1", "created_at": "2020-01-01 00:00:00"}],
            "order_items": [
                {
                    "id": None,
                    "user_id": "1",
                    "status": "Complete",
                    "sale_price": "60",
                    "created_at": "2023-06-01",
                },
                {
                    "id": "2",
                    "user_id": "1",
                    "status": "Returned",
                    "sale_price": "5",
                    "created_at": "2023-06-02",
                },
            ],
        },
        quote_all={},
        null_spelling={},
        cut_short={},
    ),
]


@given(case=raw_cases())
def test_mart_equals_reference_on_duckdb(duckdb_warehouse: Warehouse, case: RawCase) -> None:
    check_on_duckdb(duckdb_warehouse, case)


@pytest.mark.parametrize("case", REGRESSIONS, ids=lambda c: f"as_of-{c.as_of}")
def test_regression_cases_on_duckdb(duckdb_warehouse: Warehouse, case: RawCase) -> None:
    check_on_duckdb(duckdb_warehouse, case)


@pytest.fixture(scope="module")
def postgres_warehouse(postgres_server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    """The same, on PostgreSQL: each case loaded by `customer-mart load`'s loader, then built.
    Skipped where PostgreSQL is not installed, a failure in CI (see conftest.postgres_server)."""
    database = postgres_server.create_database("differential")
    env = {**postgres_server.env(database), "PGSCHEMA": "customer_mart", "RAW_SCHEMA": "thelook_raw"}
    warehouse = Warehouse(tmp_path_factory.mktemp("differential-postgres"), "postgres", env)
    warehouse.server, warehouse.database = postgres_server, database
    yield warehouse
    report("postgres")


@settings(max_examples=POSTGRES_EXAMPLES)
@given(case=raw_cases())
def test_mart_equals_reference_on_postgres(postgres_warehouse: Warehouse, case: RawCase) -> None:
    from customer_mart.load import load_postgres
    from customer_mart.schema import TABLES

    warehouse = postgres_warehouse
    started = time.perf_counter()
    case.write(warehouse.raw_dir)
    # Drawn cases leave tables empty on purpose (the loader refuses that unless told).
    load_postgres(
        warehouse.raw_dir,
        env=warehouse.server.env(warehouse.database),
        log=lambda _: None,
        allow_empty=TABLES,
    )
    warehouse.build(case.as_of)
    built = warehouse.server.query(warehouse.database, "select * from customer_mart.customer_features")
    TIMINGS["postgres"].append(time.perf_counter() - started)
    assert_same_features(built, compute(warehouse.raw_dir, case.as_of))
