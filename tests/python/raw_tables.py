"""Small raw datasets written in code: Parquet files with the raw contract's schema."""

from __future__ import annotations

import datetime as dt
from pathlib import Path


def write_raw(raw: Path, tables: dict[str, list[dict]]) -> None:
    """Write each table as Parquet with the raw contract's schema; columns not given are NULL."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from customer_mart.schema import TABLES, arrow_schema

    for name in TABLES:
        schema = arrow_schema(name)
        rows = [{column: row.get(column) for column in schema.names} for row in tables.get(name, [])]
        (raw / name).mkdir(parents=True)
        pq.write_table(pa.Table.from_pylist(rows, schema=schema), raw / name / f"{name}-000000000000.parquet")


def ts(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


def two_users_tables() -> dict[str, list[dict]]:
    """Two users, one email event by the first and one center (Memphis): the rows the small raw
    datasets of several test modules share; each adds the order tables it needs."""
    return {
        "users": [
            {"id": 1, "age": 30, "latitude": 35.1, "longitude": -90.0, "created_at": ts("2025-01-01 10:00")},
            {"id": 2, "age": 41, "latitude": 41.8, "longitude": -87.6, "created_at": ts("2025-02-01 10:00")},
        ],
        "events": [{"id": 1, "user_id": 1, "traffic_source": "Email", "created_at": ts("2026-01-01")}],
        "distribution_centers": [{"id": 1, "name": "Memphis TN", "latitude": 35.1, "longitude": -89.9}],
    }


def write_raw_file(raw: Path, table: str, rows: list[dict], name: str) -> Path:
    """One more file of `table` (its folder may hold several), written as `write_raw` writes them."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from customer_mart.schema import arrow_schema

    schema = arrow_schema(table)
    path = raw / table / name
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(
        pa.Table.from_pylist([{c: row.get(c) for c in schema.names} for row in rows], schema=schema), path
    )
    return path
