"""Amounts the mart cannot hold (issue 21, item 6). One impossible price or cost (infinite, NaN,
1e15) is treated as unknown and counted by a warning: test_faults.py injects them into the
official sample on DuckDB (CSV, Parquet) and PostgreSQL. Here: prices each possible but whose sum
for one customer is more than customer_features' numeric(12,2) holds stop the build before the
mart, naming the customer, the order item, the raw table and column (and the file on DuckDB),
instead of a bare cast error; on DuckDB and on PostgreSQL loaded by `customer-mart load`."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from raw_tables import ts, write_raw

AS_OF = "2026-06-30"
BUILD = ("build", "--exclude", "resource_type:unit_test")
# Hand-made rows dated for the rules, not a weekly delivery; some tables left empty.
VARS = {"as_of_date": AS_OF, "max_raw_table_age_days": "off", "max_raw_table_shrink": 1}


@pytest.fixture(scope="module")
def raw(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """User 1 buys two items of 6 billion dollars each (each below 10 billion, their sum above);
    user 2 buys one ordinary item."""
    raw = tmp_path_factory.mktemp("amounts") / "raw"
    bought = ts("2026-03-01 10:00")
    write_raw(
        raw,
        {
            "users": [dict(id=u, age=30, created_at=ts("2025-01-01")) for u in (1, 2)],
            "order_items": [
                dict(
                    id=11,
                    user_id=1,
                    inventory_item_id=11,
                    status="Complete",
                    sale_price=6e9,
                    created_at=bought,
                ),
                dict(
                    id=12,
                    user_id=1,
                    inventory_item_id=12,
                    status="Complete",
                    sale_price=6.5e9,
                    created_at=bought,
                ),
                dict(
                    id=21,
                    user_id=2,
                    inventory_item_id=21,
                    status="Complete",
                    sale_price=80.0,
                    created_at=bought,
                ),
            ],
            "inventory_items": [dict(id=i, cost=1.0, created_at=bought) for i in (11, 12, 21)],
            "distribution_centers": [dict(id=1, name="Memphis TN", latitude=35.1, longitude=-90.0)],
        },
    )
    return raw


def assert_stopped_before_the_mart(result, project, file: Path | None) -> None:
    output = re.sub(r"\x1b\[[0-9;]*m", "", result.stdout)
    assert result.returncode != 0
    line = (
        "customer 1: purchase amount or gross profit of 10 billion dollars or more; its largest in the"
        " window is order item 12 (raw table order_items, column sale_price 6500000000.0, its stock"
        " unit's cost 1.0 in inventory_items" + (f", file {file})" if file else ")")
    )
    assert line in output, output[-3000:]
    assert "customer 2" not in output
    assert "customer_features holds amounts as numeric(12,2), at most 9,999,999,999.99" in output
    assert "Conversion Error" not in output and "out of range" not in output
    results = project.results()
    assert results["amounts_fit_the_mart"]["status"] == "error"
    assert results["customer_features"]["status"] == "skipped"


def test_a_sum_beyond_the_mart_stops_the_build_on_duckdb(dbt_project, raw):
    project = dbt_project(raw)
    result = project.run(*BUILD, vars=VARS, check=False)
    assert_stopped_before_the_mart(result, project, raw / "order_items" / "order_items-000000000000.parquet")
    assert project.query(
        "select count(*) as n from information_schema.tables where table_name = 'customer_features'"
    ) == [{"n": 0}]
    flagged = project.query(
        "select user_id, purchase_amount_last_year from int_customers_profit_level"
        " where has_amount_beyond_the_mart"
    )
    assert flagged == [{"user_id": 1, "purchase_amount_last_year": None}]


def test_a_sum_beyond_the_mart_stops_the_build_on_postgres(postgres_server, dbt_project, raw):
    from customer_mart.load import load_postgres
    from customer_mart.schema import TABLES

    database = postgres_server.create_database("amounts")
    load_postgres(raw, env=postgres_server.env(database), log=lambda _: None, allow_empty=TABLES)
    env = {**postgres_server.env(database), "PGSCHEMA": "customer_mart", "RAW_SCHEMA": "thelook_raw"}
    project = dbt_project(raw, target="postgres", extra_env=env)
    result = project.run(*BUILD, vars=VARS, check=False)
    assert_stopped_before_the_mart(result, project, None)
