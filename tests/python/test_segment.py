"""`customer-mart segment`: k-means segments of customer_features, written back to DuckDB."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import numpy as np
import pytest

from customer_mart.cli import main
from customer_mart.segment import run_segment

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

MART_COLUMNS = """
    user_id bigint, age integer, nearest_dc_distance_km double, purchased_items_last_year integer,
    return_rate_last_year double, purchase_amount_last_year numeric(12, 2)
"""


def write_mart(path: Path, groups: list[dict], size: int, seed: int = 0) -> dict[int, int]:
    """A customer_features table of well-separated groups, with a little noise; user id -> group."""
    rng = np.random.default_rng(seed)
    rows, group_of = [], {}
    for index, group in enumerate(groups):
        for _ in range(size):
            user_id = len(rows) + 1
            group_of[user_id] = index
            rate = group["rate"]
            rows.append(
                (
                    user_id,
                    int(group["age"] + rng.integers(-2, 3)),
                    None if group["km"] is None else float(group["km"] * rng.uniform(0.95, 1.05)),
                    group["items"],
                    None if rate is None else float(rate),
                    round(group["amount"] * rng.uniform(0.95, 1.05), 2),
                )
            )
    with duckdb.connect(str(path)) as con:
        con.execute(f"create table customer_features ({MART_COLUMNS})")
        con.executemany("insert into customer_features values (?, ?, ?, ?, ?, ?)", rows)
    return group_of


def read_segments(path: Path) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(
            "select user_id, segment, distance_to_centroid from customer_segments order by user_id"
        ).fetchall()


GROUPS = [
    # young non-buyers near a center; loyal big buyers; older customers who send everything back
    dict(age=25, km=100, items=0, rate=None, amount=0.0),
    dict(age=45, km=5000, items=4, rate=0.0, amount=400.0),
    dict(age=65, km=12000, items=2, rate=1.0, amount=20.0),
]


def test_well_separated_groups_are_found_and_numbered_by_amount(tmp_path: Path) -> None:
    database = tmp_path / "mart.duckdb"
    group_of = write_mart(database, GROUPS, size=150)

    result = run_segment(database, tmp_path / "chart.png", seed=1, k_min=2, k_max=6)

    assert result.k == 3
    assert result.silhouette > 0.8
    rows = read_segments(database)
    assert [r[0] for r in rows] == sorted(group_of)
    segment_of = {user_id: segment for user_id, segment, _ in rows}
    # Each group is exactly one segment, numbered by mean amount: non-buyers 1, returners 2, big buyers 3.
    assert {(group_of[u], segment_of[u]) for u in group_of} == {(0, 1), (2, 2), (1, 3)}
    assert all(distance >= 0 for _, _, distance in rows)
    assert result.sizes() == [150, 150, 150]


def test_segments_table_has_the_documented_columns_and_types(tmp_path: Path) -> None:
    database = tmp_path / "mart.duckdb"
    write_mart(database, GROUPS, size=40)
    run_segment(database, None, seed=3, k_min=3, k_max=3)
    with duckdb.connect(str(database), read_only=True) as con:
        columns = con.execute(
            "select column_name, data_type from information_schema.columns "
            "where table_name = 'customer_segments' order by ordinal_position"
        ).fetchall()
    assert columns == [("user_id", "BIGINT"), ("segment", "INTEGER"), ("distance_to_centroid", "DOUBLE")]


def test_missing_values_are_filled_not_dropped(tmp_path: Path) -> None:
    database = tmp_path / "mart.duckdb"
    # A group with no valid address (NULL distance) and no purchase (NULL return rate).
    groups = [*GROUPS, dict(age=35, km=None, items=0, rate=None, amount=0.0)]
    write_mart(database, groups, size=30)
    result = run_segment(database, None, seed=3, k_min=3, k_max=5)
    assert len(read_segments(database)) == 120
    assert np.isfinite(result.distances).all()


def test_a_rerun_replaces_the_table(tmp_path: Path) -> None:
    database = tmp_path / "mart.duckdb"
    write_mart(database, GROUPS, size=30)
    run_segment(database, None, seed=3, k_min=2, k_max=2)
    run_segment(database, None, seed=3, k_min=3, k_max=3)
    assert {segment for _, segment, _ in read_segments(database)} == {1, 2, 3}


def test_too_few_distinct_customers_is_an_error(tmp_path: Path) -> None:
    database = tmp_path / "mart.duckdb"
    write_mart(database, [dict(age=30, km=10, items=0, rate=None, amount=0.0)], size=1)
    with pytest.raises(ValueError, match="too few"):
        run_segment(database, None, k_min=3, k_max=8)


def test_no_mart_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="dbt build"):
        run_segment(tmp_path / "missing.duckdb", None)
    database = tmp_path / "empty.duckdb"
    duckdb.connect(str(database)).close()
    with pytest.raises(SystemExit, match="no customer_features"):
        run_segment(database, None)


def test_generated_sample_same_seed_same_segments(small_warehouse, tmp_path: Path, capsys) -> None:
    """On a generated dataset built by dbt: the CLI writes the table and the chart, and a second
    run with the same seed gives identical segments and distances."""
    database = tmp_path / "warehouse.duckdb"
    shutil.copy(small_warehouse.duckdb_path, database)
    chart = tmp_path / "segments.png"

    assert main(["segment", "--duckdb", str(database), "--chart", str(chart), "--seed", "7"]) == 0
    out = capsys.readouterr().out
    assert "segments (silhouette" in out
    first = read_segments(database)
    assert chart.read_bytes().startswith(PNG_MAGIC)
    assert chart.stat().st_size > 20_000

    with duckdb.connect(str(database), read_only=True) as con:
        customers = [r[0] for r in con.execute("select user_id from customer_features order by 1").fetchall()]
    assert [r[0] for r in first] == customers
    segments = {r[1] for r in first}
    assert 3 <= len(segments) <= 8 and segments == set(range(1, len(segments) + 1))

    run_segment(database, None, seed=7)
    assert read_segments(database) == first
