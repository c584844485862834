"""The raw data contract: TheLook's seven tables, their columns and BigQuery types.

One statement of the schema for everything that writes or loads raw files (the generator,
the PostgreSQL loader, the Glue table definitions).
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

INT64, FLOAT64, STRING = "INT64", "FLOAT64", "STRING"
TIMESTAMP = "TIMESTAMP"

COLUMNS: dict[str, list[tuple[str, str]]] = {
    "users": [
        ("id", INT64),
        ("first_name", STRING),
        ("last_name", STRING),
        ("email", STRING),
        ("age", INT64),
        ("gender", STRING),
        ("state", STRING),
        ("street_address", STRING),
        ("postal_code", STRING),
        ("city", STRING),
        ("country", STRING),
        ("latitude", FLOAT64),
        ("longitude", FLOAT64),
        ("traffic_source", STRING),
        ("created_at", TIMESTAMP),
    ],
    "orders": [
        ("order_id", INT64),
        ("user_id", INT64),
        ("status", STRING),
        ("gender", STRING),
        ("created_at", TIMESTAMP),
        ("returned_at", TIMESTAMP),
        ("shipped_at", TIMESTAMP),
        ("delivered_at", TIMESTAMP),
        ("num_of_item", INT64),
    ],
    "order_items": [
        ("id", INT64),
        ("order_id", INT64),
        ("user_id", INT64),
        ("product_id", INT64),
        ("inventory_item_id", INT64),
        ("status", STRING),
        ("created_at", TIMESTAMP),
        ("shipped_at", TIMESTAMP),
        ("delivered_at", TIMESTAMP),
        ("returned_at", TIMESTAMP),
        ("sale_price", FLOAT64),
    ],
    "events": [
        ("id", INT64),
        ("user_id", INT64),
        ("sequence_number", INT64),
        ("session_id", STRING),
        ("created_at", TIMESTAMP),
        ("ip_address", STRING),
        ("city", STRING),
        ("state", STRING),
        ("postal_code", STRING),
        ("browser", STRING),
        ("traffic_source", STRING),
        ("uri", STRING),
        ("event_type", STRING),
    ],
    "products": [
        ("id", INT64),
        ("cost", FLOAT64),
        ("category", STRING),
        ("name", STRING),
        ("brand", STRING),
        ("retail_price", FLOAT64),
        ("department", STRING),
        ("sku", STRING),
        ("distribution_center_id", INT64),
    ],
    "inventory_items": [
        ("id", INT64),
        ("product_id", INT64),
        ("created_at", TIMESTAMP),
        ("sold_at", TIMESTAMP),
        ("cost", FLOAT64),
        ("product_category", STRING),
        ("product_name", STRING),
        ("product_brand", STRING),
        ("product_retail_price", FLOAT64),
        ("product_department", STRING),
        ("product_sku", STRING),
        ("product_distribution_center_id", INT64),
    ],
    "distribution_centers": [
        ("id", INT64),
        ("name", STRING),
        ("latitude", FLOAT64),
        ("longitude", FLOAT64),
    ],
}

TABLES: tuple[str, ...] = tuple(COLUMNS)

_ARROW_TYPES = {
    INT64: pa.int64(),
    FLOAT64: pa.float64(),
    STRING: pa.string(),
    TIMESTAMP: pa.timestamp("us", tz="UTC"),
}


def arrow_schema(table: str) -> pa.Schema:
    """The Arrow schema a raw Parquet file of `table` is written with."""
    return pa.schema([(name, _ARROW_TYPES[kind]) for name, kind in COLUMNS[table]])


# --- Raw folders as exports arrive -----------------------------------------------------------
# The same rules as the dbt macro raw_table_files (macros/staging/raw_table_files.sql), for the
# loader and the uploader: every file under `<raw_dir>/<table>/` at any depth (plain, nested or
# Hive-partitioned folders), except names starting with `.` or `_` at any level (markers such as
# `_SUCCESS`); `.parquet` is Parquet, `.csv` and `.csv.gz` are CSV; one format per table.
RAW_FORMATS = ("parquet", "csv")
# In a raw CSV file these fields are NULL, quoted or not (as DuckDB reads them: doc thelook_source).
CSV_NULLS = ("", "null", "NULL")


class RawFolderError(Exception):
    """A raw folder or file that cannot be read as the contract says; the message names it."""


def raw_file_format(path: Path) -> str | None:
    """`parquet`, `csv` or None (not a raw data file) from the file's name."""
    name = path.name.lower()
    if name.endswith(".parquet"):
        return "parquet"
    if name.endswith((".csv", ".csv.gz")):
        return "csv"
    return None


def raw_table_files(raw_dir: str | Path, table: str, file_format: str = "auto") -> tuple[str, list[Path]]:
    """The format and the data files of one raw table, or a RawFolderError naming the folder."""
    folder = Path(raw_dir) / table
    if not folder.is_dir():
        raise RawFolderError(f"raw table {table}: no folder {folder}")
    found: dict[str, list[Path]] = {fmt: [] for fmt in RAW_FORMATS}
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if not path.is_file() or any(part.startswith((".", "_")) for part in relative.parts):
            continue
        kind = raw_file_format(path)
        if kind is None:
            raise RawFolderError(
                f"raw table {table}: file {path} is not a raw data file (*.parquet, *.csv or *.csv.gz); "
                f"move it out of {folder}, or start its name with _ to have it ignored"
            )
        found[kind].append(path)
    if found["parquet"] and found["csv"]:
        raise RawFolderError(
            f"raw table {table}: folder {folder} holds both Parquet ({found['parquet'][0]}) and CSV "
            f"({found['csv'][0]}) files; a table is read in one format, so keep one"
        )
    chosen = file_format if file_format != "auto" else ("parquet" if found["parquet"] else "csv")
    if not found[chosen]:
        wanted = {"auto": "*.parquet, *.csv or *.csv.gz", "parquet": "*.parquet", "csv": "*.csv or *.csv.gz"}
        raise RawFolderError(f"raw table {table}: no file in {folder} ({wanted[file_format]}, at any depth)")
    return chosen, found[chosen]


def open_csv_text(path: Path):
    """A raw CSV file as text: gzip undone, UTF-8 with a byte-order mark dropped."""
    import gzip

    if path.name.lower().endswith(".gz"):
        return gzip.open(path, "rt", encoding="utf-8-sig", newline="")
    return path.open(encoding="utf-8-sig", newline="")


def _arrow_kind(kind: pa.DataType) -> str:
    if pa.types.is_integer(kind):
        return "integer"
    if pa.types.is_floating(kind) or pa.types.is_decimal(kind):
        return "float"
    if pa.types.is_timestamp(kind):
        return "timestamp"
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return "text"
    return str(kind)


def text_parses(value: str, contract: str) -> bool:
    """Whether a text value reads as the contract type (roughly as the engines cast it)."""
    import datetime as dt

    text = value.strip()
    try:
        if contract == INT64:
            int(text)
        elif contract == FLOAT64:
            float(text)
        elif contract == TIMESTAMP:
            dt.datetime.fromisoformat(text.removesuffix(" UTC"))
    except ValueError:
        return False
    return True


def parquet_problem(table: str, path: Path) -> str | None:
    """Why a raw Parquet file cannot be read as the contract says, or None: not complete Parquet,
    a contract column missing, or a column not of its contract type.

    These are the rules of the engines that cast on read, DuckDB (the same rules as the dbt
    start-of-run check check_raw_types) and `customer-mart load` into PostgreSQL: whole-valued
    floats pass as integers, any integer or float width passes, text or epoch numbers never pass
    as timestamps. They are not Redshift Spectrum's, which does not cast: `spectrum.py` states
    those, and `customer-mart upload` applies them."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(path)
    except (pa.ArrowException, OSError) as error:
        return f"is not a complete Parquet file (truncated, or not Parquet at all): {error}"
    schema = parquet.schema_arrow
    missing = [column for column, _ in COLUMNS[table] if column not in schema.names]
    if missing:
        return (
            f"lacks the column(s) {', '.join(missing)} of the raw contract; "
            f"its columns are: {', '.join(schema.names)}"
        )
    for column, contract in COLUMNS[table]:
        if contract == STRING:
            continue
        found = _arrow_kind(schema.field(column).type)
        allowed = {INT64: ("integer", "float"), FLOAT64: ("integer", "float"), TIMESTAMP: ("timestamp",)}[
            contract
        ]
        problem = None
        if found not in allowed:
            problem = f"is stored as {found}"
            if found in ("integer", "float"):
                problem += " (epoch numbers have no known unit or zone)"
            if found == "text":
                values = parquet.read(columns=[column]).column(column).drop_null().to_pylist()
                bad = next((value for value in values if not text_parses(value, contract)), None)
                if bad is not None:
                    problem += f", such as {bad!r}"
        elif contract == INT64 and found == "float":
            values = parquet.read(columns=[column]).column(column)
            fractional = pc.filter(values, pc.not_equal(values, pc.trunc(values)))
            if len(fractional):
                problem = (
                    f"is stored as {schema.field(column).type} and holds {len(fractional)} value(s) "
                    "with a fraction, "
                    f"such as {fractional[0].as_py()} (never rounded)"
                )
        if problem:
            return f"column {column} {problem}; the raw contract says {contract}: export it with that type"
    return None
