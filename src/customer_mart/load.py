"""Load a raw folder into PostgreSQL: one table per raw table, typed by the raw data contract.

`customer-mart load --target postgres --raw-dir DIR` creates the raw schema (RAW_SCHEMA, default
thelook_raw, the schema the dbt sources read) and fills its seven tables with COPY from the files
under `DIR/<table>/`, found and told apart as the DuckDB build does (`schema.raw_table_files`:
`*.parquet`, `*.csv` or `*.csv.gz`, at any depth, Hive-partitioned folders too).
It connects as the `postgres` dbt target
does, from the standard libpq variables (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE) with the
same defaults, so `dbt build --target postgres` reads what was loaded.

Loading again replaces the rows (truncate, then COPY), in one transaction for all tables, and
keeps the tables themselves, so views built on them survive. Any error (a file that cannot be
read, a value that is not of its column's type, a table with no rows) rolls the whole load back,
with a message naming the table and the file: the previous tables stay. A table that is really
empty this week loads only when named with `--allow-empty TABLE`.

Timestamps are stored as `timestamptz`, read in UTC: a value with an offset keeps its instant, a
value without one is UTC, whatever the server's or the dbt session's time zone.

CSV files are read as DuckDB reads them for the duckdb target: a header row, RFC 4180 quoting, an
empty field, `null` or `NULL` is NULL, a row cut short has NULL for its missing fields, columns
beyond the contract are ignored, a UTF-8 byte-order mark is dropped and gzip (`.csv.gz`) undone.
"""

from __future__ import annotations

import csv
import io
import os
import sys
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from pathlib import Path

from customer_mart.schema import (
    COLUMNS,
    CSV_NULLS,
    FLOAT64,
    INT64,
    STRING,
    TABLES,
    TIMESTAMP,
    RawFolderError,
    arrow_schema,
    open_csv_text,
    parquet_problem,
    raw_table_files,
)

POSTGRES_TYPES = {INT64: "bigint", FLOAT64: "double precision", STRING: "text", TIMESTAMP: "timestamptz"}
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
    """The raw files of every contract table (`schema.raw_table_files`)."""
    if not raw_dir.is_dir():
        raise LoadError(f"{raw_dir} is not a folder")
    tables = []
    for name in TABLES:
        try:
            chosen, files = raw_table_files(raw_dir, name, file_format)
        except RawFolderError as error:
            raise LoadError(str(error)) from None
        tables.append(RawTable(name=name, files=tuple(files), file_format=chosen))
    return tables


def _file_error(table: str, path: Path, problem: str) -> LoadError:
    """An error about one raw file, naming its table and the file, as the DuckDB build's check does."""
    return LoadError(f"raw table {table}: file {path} {problem}")


def _csv_rows(path: Path, table: str) -> Iterator[list[str | None]]:
    """The contract's columns of one raw CSV file, in contract order, NULLs as None."""
    columns = [column for column, _ in COLUMNS[table]]
    with open_csv_text(path) as handle:
        reader = csv.reader(handle, strict=False)
        try:
            header = next(reader, None)
            if header is None:
                return
            missing = [column for column in columns if column not in header]
            if missing:
                raise _file_error(table, path, f"has no column {', '.join(missing)} in its header")
            positions = [header.index(column) for column in columns]
            width = len(header)
            for row in reader:
                if not row:
                    continue
                if len(row) > width:
                    raise _file_error(
                        table, path, f"line {reader.line_num}: {len(row)} fields for {width} columns"
                    )
                row += [""] * (width - len(row))
                yield [None if row[i] in CSV_NULLS else row[i] for i in positions]
        except UnicodeDecodeError as error:
            raise _file_error(
                table,
                path,
                f"is not UTF-8 text: byte 0x{error.object[error.start]:02x} after line {reader.line_num}; "
                "export it again as UTF-8",
            ) from None
        except (OSError, EOFError) as error:  # a truncated or corrupt .gz
            raise _file_error(table, path, f"cannot be read: {error}") from None


def _copy_buffers_csv(raw: RawTable, batch_rows: int = 200_000) -> Iterator[tuple[Path, io.StringIO]]:
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
        for buffer in batches(_csv_rows(path, raw.name)):
            yield path, buffer


def _copy_buffers_parquet(raw: RawTable, batch_rows: int = 200_000) -> Iterator[tuple[Path, io.BytesIO]]:
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    columns = [column for column, _ in COLUMNS[raw.name]]
    for path in raw.files:
        problem = parquet_problem(raw.name, path)
        if problem:
            raise _file_error(raw.name, path, problem)
        try:
            parquet = pq.ParquetFile(path)
        except (pa.ArrowException, OSError) as error:
            raise _file_error(raw.name, path, f"cannot be read: {error}") from error
        # Numbers in other widths (int32, or floats parquet_problem found whole) as the contract's.
        wanted = arrow_schema(raw.name)
        for batch in parquet.iter_batches(batch_size=batch_rows, columns=columns):
            data = pa.Table.from_batches([batch])
            for index, name in enumerate(data.column_names):
                target = wanted.field(name).type
                if (pa.types.is_integer(target) or pa.types.is_floating(target)) and data.schema.field(
                    index
                ).type != target:
                    data = data.set_column(index, name, data.column(index).cast(target))
            buffer = io.BytesIO()
            # Arrow quotes every string and leaves NULL unquoted and empty, as COPY expects; it
            # writes doubles so that they read back exactly and timestamps with their zone.
            options = pacsv.WriteOptions(include_header=False, quoting_style="needed")
            pacsv.write_csv(data, buffer, write_options=options)
            buffer.seek(0)
            yield path, buffer


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
    allow_empty: Collection[str] = (),
) -> dict[str, int]:
    """Load every raw table into `schema` of the libpq-configured database; rows per table.
    A table with no rows is an error (nothing is loaded) unless it is in `allow_empty`."""
    import psycopg2
    from psycopg2 import sql

    env = os.environ if env is None else env
    schema = schema or env.get("RAW_SCHEMA") or "thelook_raw"
    unknown = sorted(set(allow_empty) - set(TABLES))
    if unknown:
        raise LoadError(
            f"--allow-empty {', '.join(unknown)}: no such raw table (tables: {', '.join(TABLES)})"
        )
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
                for path, buffer in buffers:
                    try:
                        cursor.copy_expert(copy.as_string(cursor), buffer)
                    except psycopg2.DataError as error:
                        # PostgreSQL names the column and the value ("COPY users, line 2, column
                        # latitude: "n/a""); the line counts within this file's batch.
                        detail = " ".join(str(error).split())
                        raise _file_error(
                            raw.name, path, f"holds a value that is not of its column's type: {detail}"
                        ) from None
                cursor.execute(sql.SQL("select count(*) from {}").format(target))
                counts[raw.name] = cursor.fetchone()[0]
                files = f"{len(raw.files)} {raw.file_format} file(s)"
                if counts[raw.name] == 0 and raw.name not in allow_empty:
                    raise LoadError(
                        f"raw table {raw.name}: no rows in its {files} ({raw_dir}/{raw.name}); nothing was "
                        "loaded and the previous raw tables are kept. An empty export is usually a failed "
                        "one: export it again, or, if the table is really empty, load with "
                        f"--allow-empty {raw.name}"
                    )
                log(f"{schema}.{raw.name}: {counts[raw.name]:,} rows from {files}")
    finally:
        connection.close()
    where = f"{settings['user']}@{settings['host']}:{settings['port']}/{settings['dbname']}"
    log(f"Loaded {len(counts)} tables into {where}, schema {schema}")
    return counts


def run_load(
    target: str, raw_dir: str, schema: str | None, file_format: str, allow_empty: Collection[str] = ()
) -> int:
    """The `customer-mart load` command: 0 on success, 1 with a message on a load error."""
    if target != "postgres":
        print(f"customer-mart load: no loader for target {target}", file=sys.stderr)
        return 2
    import psycopg2

    try:
        load_postgres(raw_dir, schema=schema, file_format=file_format, allow_empty=allow_empty)
    except (LoadError, psycopg2.Error) as error:
        print(f"customer-mart load: {error}".rstrip(), file=sys.stderr)
        return 1
    return 0
