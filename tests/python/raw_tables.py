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
