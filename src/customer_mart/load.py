"""Load a raw folder into PostgreSQL: one table per raw table, typed by the raw data contract.

`customer-mart load --target postgres --raw-dir DIR` creates the raw schema (RAW_SCHEMA, default
thelook_raw, the schema the dbt sources read) and fills its seven tables from
`DIR/<table>/*.parquet` or `DIR/<table>/*.csv` with COPY. It connects as the `postgres` dbt target
does, from the standard libpq variables (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE) with the
same defaults, so `dbt build --target postgres` reads what was loaded.

Loading again replaces the rows (truncate, then COPY), in one transaction for all tables, and
keeps the tables themselves, so views built on them survive.

Timestamps are stored as `timestamptz`, read in UTC: a value with an offset keeps its instant, a
value without one is UTC, whatever the server's or the dbt session's time zone.

CSV files are read as DuckDB reads them for the duckdb target: a header row, RFC 4180 quoting, an
empty field, `null` or `NULL` is NULL, a row cut short has NULL for its missing fields, and columns
beyond the contract are ignored.
"""

from __future__ import annotations

import csv
import io
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from customer_mart.schema import COLUMNS, FLOAT64, INT64, STRING, TABLES, TIMESTAMP

POSTGRES_TYPES = {INT64: "bigint", FLOAT64: "double precision", STRING: "text", TIMESTAMP: "timestamptz"}
CSV_NULLS = {"", "null", "NULL"}
# libpq's variables with the defaults of the `postgres` output of profiles.yml.example.
LIBPQ_DEFAULTS = {
    "PGHOST": "127.0.0.1",
    "PGPORT": "5432",
    "PGUSER": "postgres",
    "PGPASSWORD": "",
    "PGDATABASE": "postgres",
}


class LoadError(Exception):
    """The raw folder cannot be loaded as it is."""


@dataclass(frozen=True)
class RawTable:
    name: str
    files: tuple[Path, ...]
    file_format: str


def connection_settings(env: dict[str, str] | None = None) -> dict[str, str]:
    """psycopg2.connect arguments from the libpq variables, defaulted as the dbt profile does."""
    env = os.environ if env is None else env
    value = {name: env.get(name) or default for name, default in LIBPQ_DEFAULTS.items()}
    value["PGPASSWORD"] = env.get("PGPASSWORD", "")
    return {
        "host": value["PGHOST"],
        "port": value["PGPORT"],
        "user": value["PGUSER"],
        "password": value["PGPASSWORD"],
        "dbname": value["PGDATABASE"],
    }


def find_tables(raw_dir: Path, file_format: str = "auto") -> list[RawTable]:
    """The raw files of every contract table: `<raw_dir>/<table>/*.parquet` or `*.csv`."""
    if not raw_dir.is_dir():
        raise LoadError(f"{raw_dir} is not a folder")
    tables = []
    for name in TABLES:
        found = {fmt: tuple(sorted((raw_dir / name).glob(f"*.{fmt}"))) for fmt in ("parquet", "csv")}
        if file_format == "auto":
            present = [fmt for fmt, files in found.items() if files]
            if len(present) != 1:
                problem = "both Parquet and CSV files" if present else "no .parquet or .csv file"
                raise LoadError(f"{raw_dir / name}: {problem}; use --format to choose")
            chosen = present[0]
        else:
            chosen = file_format
            if not found[chosen]:
                raise LoadError(f"{raw_dir / name}: no .{chosen} file")
        tables.append(RawTable(name=name, files=found[chosen], file_format=chosen))
    return tables


def _file_error(table: str, path: Path, problem: str) -> LoadError:
    """An error about one raw file, naming its table and the file, as the DuckDB build's check does."""
    return LoadError(f"raw table {table}: file {path} {problem}")


def _csv_rows(path: Path, table: str) -> Iterator[list[str | None]]:
    """The contract's columns of one raw CSV file, in contract order, NULLs as None."""
    columns = [column for column, _ in COLUMNS[table]]
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle, strict=False)
        header = next(reader, None)
        if header is None:
            return
        missing = [column for column in columns if column not in header]
        if missing:
            raise _file_error(table, path, f"has no column {', '.join(missing)} in its header")
        positions = [header.index(column) for column in columns]
        width = len(header)
        for line, row in enumerate(reader, start=2):
            if not row:
                continue
            if len(row) > width:
                raise _file_error(table, path, f"line {line}: {len(row)} fields for {width} columns")
            row += [""] * (width - len(row))
            yield [None if row[i] in CSV_NULLS else row[i] for i in positions]


def _copy_buffers_csv(raw: RawTable, batch_rows: int = 200_000) -> Iterator[io.StringIO]:
    """COPY input in CSV: NULL is an unquoted empty field (no value is an empty string here)."""

    def batches(rows: Iterator[list[str | None]]) -> Iterator[io.StringIO]:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        for count, row in enumerate(rows, start=1):
            writer.writerow(row)
            if count % batch_rows == 0:
                buffer.seek(0)
                yield buffer
                buffer = io.StringIO()
                writer = csv.writer(buffer, lineterminator="\n")
        if buffer.tell():
            buffer.seek(0)
            yield buffer

    for path in raw.files:
        yield from batches(_csv_rows(path, raw.name))


def _copy_buffers_parquet(raw: RawTable, batch_rows: int = 200_000) -> Iterator[io.BytesIO]:
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    columns = [column for column, _ in COLUMNS[raw.name]]
    for path in raw.files:
        try:
            parquet = pq.ParquetFile(path)
        except (pa.ArrowException, OSError) as error:
            raise _file_error(raw.name, path, f"cannot be read: {error}") from error
        missing = [column for column in columns if column not in parquet.schema_arrow.names]
        if missing:
            raise _file_error(raw.name, path, f"has no column {', '.join(missing)}")
        for batch in parquet.iter_batches(batch_size=batch_rows, columns=columns):
            buffer = io.BytesIO()
            # Arrow quotes every string and leaves NULL unquoted and empty, as COPY expects; it
            # writes doubles so that they read back exactly and timestamps with their zone.
            options = pacsv.WriteOptions(include_header=False, quoting_style="needed")
            pacsv.write_csv(pa.Table.from_batches([batch]), buffer, write_options=options)
            buffer.seek(0)
            yield buffer


def _create_table(cursor, schema: str, table: str) -> None:
    from psycopg2 import sql

    wanted = [(column, POSTGRES_TYPES[kind]) for column, kind in COLUMNS[table]]
    cursor.execute(
        sql.SQL("create table if not exists {}.{} ({})").format(
            sql.Identifier(schema),
            sql.Identifier(table),
            sql.SQL(", ").join(sql.SQL("{} {}").format(sql.Identifier(c), sql.SQL(t)) for c, t in wanted),
        )
    )
    qualified = sql.SQL("{}.{}").format(sql.Identifier(schema), sql.Identifier(table)).as_string(cursor)
    cursor.execute(
        "select attname, format_type(atttypid, atttypmod) from pg_attribute"
        " where attrelid = %s::regclass and attnum > 0 and not attisdropped order by attnum",
        (qualified,),
    )
    found = [
        (name, kind.replace("timestamp with time zone", "timestamptz")) for name, kind in cursor.fetchall()
    ]
    if found != wanted:
        raise LoadError(
            f"{schema}.{table} exists with other columns than the raw contract: {found}; "
            f"drop it (drop table {schema}.{table} cascade) and load again"
        )


def load_postgres(
    raw_dir: str | Path,
    schema: str | None = None,
    file_format: str = "auto",
    env: dict[str, str] | None = None,
    log=print,
) -> dict[str, int]:
    """Load every raw table into `schema` of the libpq-configured database; rows per table."""
    import psycopg2
    from psycopg2 import sql

    env = os.environ if env is None else env
    schema = schema or env.get("RAW_SCHEMA") or "thelook_raw"
    tables = find_tables(Path(raw_dir), file_format)
    settings = connection_settings(env)
    counts: dict[str, int] = {}
    connection = psycopg2.connect(**settings)
    try:
        with connection, connection.cursor() as cursor:
            # Naive timestamps are UTC; SET LOCAL ends with the transaction.
            cursor.execute("set local timezone = 'UTC'")
            cursor.execute(sql.SQL("create schema if not exists {}").format(sql.Identifier(schema)))
            for raw in tables:
                _create_table(cursor, schema, raw.name)
                target = sql.SQL("{}.{}").format(sql.Identifier(schema), sql.Identifier(raw.name))
                cursor.execute(sql.SQL("truncate {}").format(target))
                columns = sql.SQL(", ").join(sql.Identifier(column) for column, _ in COLUMNS[raw.name])
                copy = sql.SQL("copy {} ({}) from stdin with (format csv)").format(target, columns)
                buffers = (
                    _copy_buffers_parquet(raw) if raw.file_format == "parquet" else _copy_buffers_csv(raw)
                )
                for buffer in buffers:
                    cursor.copy_expert(copy.as_string(cursor), buffer)
                cursor.execute(sql.SQL("select count(*) from {}").format(target))
                counts[raw.name] = cursor.fetchone()[0]
                files = f"{len(raw.files)} {raw.file_format} file(s)"
                log(f"{schema}.{raw.name}: {counts[raw.name]:,} rows from {files}")
    finally:
        connection.close()
    where = f"{settings['user']}@{settings['host']}:{settings['port']}/{settings['dbname']}"
    log(f"Loaded {len(counts)} tables into {where}, schema {schema}")
    return counts


def run_load(target: str, raw_dir: str, schema: str | None, file_format: str) -> int:
    """The `customer-mart load` command: 0 on success, 1 with a message on a load error."""
    if target != "postgres":
        print(f"customer-mart load: no loader for target {target}", file=sys.stderr)
        return 2
    import psycopg2

    try:
        load_postgres(raw_dir, schema=schema, file_format=file_format)
    except (LoadError, psycopg2.Error) as error:
        print(f"customer-mart load: {error}".rstrip(), file=sys.stderr)
        return 1
    return 0
