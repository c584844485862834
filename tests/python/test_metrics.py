"""The semantic layer (models/marts/_marts__metrics.yml): `mf query` (dbt-metricflow) on the small
DuckDB warehouse returns the numbers the ready queries in analyses/ compute in SQL.

Runs SQL on DuckDB through MetricFlow and through the compiled analyses. MetricFlow loads the
project's semantic manifest on each start (tens of seconds on a busy machine), so the test starts
it three times: `mf validate-configs` (against the warehouse), `mf query` itself, as analysts type
it, and one process that runs the other queries with the same engine (`MetricFlowEngine.query`,
what `mf query` calls).
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from decimal import Decimal

import duckdb
import pytest
from conftest import BIN_DIR, PROJECT_DIR, DbtProject

AS_OF = "2026-06-30"


# `mf` reads <project root>/target/semantic_manifest.json, which names the DuckDB file's database:
# the test runs it in a root of its own, made of links to the project's files.
LEFT_OUT = {"target", "logs", "data", "profiles.yml", ".git"}


@pytest.fixture(scope="module")
def warehouse(small_warehouse, small_generated_dir, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("metrics")
    project = DbtProject(workdir=workdir, raw_dir=small_generated_dir)
    shutil.copy(small_warehouse.duckdb_path, project.duckdb_path)
    root = workdir / "root"
    root.mkdir()
    for entry in PROJECT_DIR.iterdir():
        if entry.name not in LEFT_OUT and not entry.name.startswith(".venv"):
            (root / entry.name).symlink_to(entry)
    (workdir / "profiles").mkdir(exist_ok=True)
    shutil.copy(PROJECT_DIR / "profiles.yml.example", workdir / "profiles" / "profiles.yml")
    # One compile writes both what `mf` reads (root/target/semantic_manifest.json) and the analyses.
    compiled = subprocess.run(
        [
            str(BIN_DIR / "dbt"),
            "compile",
            "--select",
            "resource_type:analysis",
            "--profiles-dir",
            str(workdir / "profiles"),
        ],
        cwd=root,
        env={**project.env(), "AS_OF_DATE": AS_OF},
        capture_output=True,
        text=True,
        check=False,
    )
    assert compiled.returncode == 0, compiled.stdout[-4000:]
    return project


def mf_env(project: DbtProject) -> dict[str, str]:
    return {
        **project.env(),
        "DBT_PROFILES_DIR": str(project.workdir / "profiles"),
        "AS_OF_DATE": AS_OF,
        "PATH": f"{BIN_DIR}:{os.environ.get('PATH', '')}",
    }


def mf(project: DbtProject, *args: str) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [str(BIN_DIR / "mf"), *args],
        cwd=project.workdir / "root",
        env=mf_env(project),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    return result


def mf_query(project: DbtProject, name: str, metrics: list[str], group_by: list[str]) -> list[dict]:
    out = project.workdir / f"{name}.csv"
    mf(project, "query", "--metrics", ",".join(metrics), "--group-by", ",".join(group_by), "--csv", str(out))
    with out.open() as handle:
        return list(csv.DictReader(handle))


# The engine `mf query` runs, for several queries in one process: {name: (metrics, group by)} in
# argv[1] as JSON; prints {name: rows}, every value as text ('' for NULL) like `mf query --csv`.
ENGINE_QUERIES = """
import json, pathlib, sys
from dbt_metricflow.cli.cli_configuration import CLIConfiguration
from metricflow.engine.metricflow_engine import MetricFlowQueryRequest

config = CLIConfiguration()
config.setup(configure_file_logging=False)
out = {}
for name, (metrics, group_by) in json.loads(sys.argv[1]).items():
    table = config.mf.query(
        mf_request=MetricFlowQueryRequest.create(metric_names=metrics, group_by_names=group_by)
    ).result_df
    out[name] = [
        {c: "" if v is None else str(v) for c, v in zip(table.column_names, row)} for row in table.rows
    ]
print(json.dumps(out))
"""


def engine_queries(project: DbtProject, queries: dict[str, tuple[list[str], list[str]]]) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", ENGINE_QUERIES, json.dumps(queries)],
        cwd=project.workdir / "root",
        env=mf_env(project),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def analysis(project: DbtProject, name: str) -> list[dict]:
    sql = (
        project.workdir / "root" / "target" / "compiled" / "customer_mart" / "analyses" / f"{name}.sql"
    ).read_text()
    with duckdb.connect(str(project.duckdb_path), read_only=True) as con:
        cursor = con.execute(sql)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def number(text: str) -> Decimal | None:
    return None if text == "" else Decimal(text)


def close(have: Decimal | None, want, places: int) -> bool:
    """The analysis rounds to `places`; MetricFlow does not."""
    if have is None or want is None:
        return have is None and want is None
    return abs(have - Decimal(str(want))) <= Decimal(1).scaleb(-places) / 2 + Decimal("1e-9")


def test_the_semantic_layer_is_valid_against_the_warehouse(warehouse):
    result = mf(warehouse, "validate-configs")
    assert (
        "ERRORS: 0" in result.stdout
        and "Successfully validated metrics against data warehouse" in result.stdout
    )


def test_return_rates_by_traffic_source_equal_the_analysis(warehouse):
    metrics = ["customers", "purchased_items_total", "returned_items_total", "item_return_rate"]
    metrics.append("avg_customer_return_rate")
    rows = mf_query(warehouse, "sources", metrics, ["customer__most_traffic_source"])
    have = {r["customer__most_traffic_source"] or "(no events)": r for r in rows}
    want = {r["most_traffic_source"]: r for r in analysis(warehouse, "return_rate_by_traffic_source")}
    assert set(have) == set(want) and len(want) >= 4
    for source, row in want.items():
        got = have[source]
        assert int(got["customers"]) == row["customers"], source
        assert number(got["purchased_items_total"] or "0") == row["purchased_items"], source
        assert number(got["returned_items_total"] or "0") == row["returned_items"], source
        assert close(number(got["item_return_rate"]), row["item_return_rate"], 4), (source, got, row)
        assert close(number(got["avg_customer_return_rate"]), row["avg_customer_return_rate"], 4), (
            source,
            got,
        )


def test_customers_shares_amounts_and_gross_profit_per_profit_level_and_center_equal_the_analysis(warehouse):
    shares = [f"share_of_customers_at_profit_level_{level}" for level in (1, 2, 3)]
    found = engine_queries(
        warehouse,
        {
            "levels": (
                ["customers", "purchase_amount", "gross_profit"],
                ["customer__profit_level", "customer__nearest_dc_name"],
            ),
            "shares": (shares, []),
        },
    )
    rows = found["levels"]
    have = {
        (int(r["customer__profit_level"]), r["customer__nearest_dc_name"] or "(no valid address)"): r
        for r in rows
    }
    want = {
        (r["profit_level"], r["nearest_dc_name"]): r
        for r in analysis(warehouse, "customers_per_profit_level_and_center")
    }
    assert set(have) == set(want) and len(want) > 10
    for key, row in want.items():
        got = have[key]
        assert int(got["customers"]) == row["customers"], key
        assert number(got["purchase_amount"]) == row["purchase_amount_last_year"], key
        assert number(got["gross_profit"] or "0") == (row["gross_profit_last_year"] or 0), key

    (share,) = found["shares"]
    for level in (1, 2, 3):
        in_analysis = sum(
            Decimal(str(r["share_of_customers_pct"])) for (lvl, _), r in want.items() if lvl == level
        )
        # The analysis rounds each group's share to 0.01 %: the sum is within half a step per group.
        groups = sum(1 for lvl, _ in want if lvl == level)
        got = number(share[f"share_of_customers_at_profit_level_{level}"] or "0") * 100
        assert abs(got - in_analysis) <= Decimal("0.005") * groups + Decimal("1e-9"), (
            level,
            got,
            in_analysis,
        )
