"""Run single_query.sql (package data, beside this module): customer_features in one DuckDB
statement from the raw Parquet files.

    python -m customer_mart.benchmark.single_query RAW_DIR AS_OF_DATE OUT.duckdb
        [--memory-limit 2GB] [--threads 2]
"""

from __future__ import annotations

import argparse
import datetime as dt
from importlib.resources import files
from pathlib import Path
from string import Template

import duckdb
import pyarrow as pa

from customer_mart.benchmark.features_common import LEVEL_2_ABOVE_USD, LEVEL_3_FROM_USD, feature_window

# Package data (pyproject.toml), read from the installed package: editable or from the wheel.
SQL_FILE = files("customer_mart.benchmark").joinpath("single_query.sql")


def statement(raw_dir: str | Path, as_of: dt.date) -> str:
    start, end = feature_window(as_of)
    return Template(SQL_FILE.read_text()).substitute(
        raw_dir=Path(raw_dir).as_posix(),
        window_start=start.isoformat(),
        window_end=end.isoformat(),
        level_2_above_cents=LEVEL_2_ABOVE_USD * 100,
        level_3_from_cents=LEVEL_3_FROM_USD * 100,
    )


def connect(database: str, memory_limit: str, threads: int) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(database, config={"memory_limit": memory_limit, "threads": threads})
    con.execute("set TimeZone = 'UTC'")
    con.execute("set enable_progress_bar = false")
    # As the dbt profile sets it: row order is not kept, so big sorts and joins may spill freely.
    con.execute("set preserve_insertion_order = false")
    return con


def compute(raw_dir: str | Path, as_of: dt.date, memory_limit: str = "2GB", threads: int = 2) -> pa.Table:
    """Every in-scope customer's features as an Arrow table, one row per user."""
    with connect(":memory:", memory_limit, threads) as con:
        return con.sql(statement(raw_dir, as_of)).to_arrow_table()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("raw_dir")
    parser.add_argument("as_of", type=dt.date.fromisoformat)
    parser.add_argument("out", help="a DuckDB file to create the customer_features table in")
    parser.add_argument("--memory-limit", default="2GB")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    with connect(args.out, args.memory_limit, args.threads) as con:
        con.execute(f"create or replace table customer_features as {statement(args.raw_dir, args.as_of)}")


if __name__ == "__main__":
    main()
