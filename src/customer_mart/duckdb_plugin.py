"""A dbt-duckdb plugin (profiles.yml: `plugins: [{module: customer_mart.duckdb_plugin}]`).

Before dbt-duckdb opens the DuckDB file it tries the file itself, so that a file another build
holds, or one in a place that cannot be written (a read-only mount), stops dbt with one message
naming the file and what to do: dbt-duckdb's own attempt fails again while it cleans up, and dbt
then prints some 200 lines of traceback after the first.

It gives every connection two SQL functions that read a few bytes of a raw file, where SQL alone
can only read a file whole (`read_blob`) or, for CSV, sniff it at a cost of memory per file:

- `parquet_file_is_complete(path)`: true when the file starts and ends with Parquet's magic bytes
  `PAR1`. The start-of-run check (macros/staging/check_raw_files.sql) names a truncated file and
  its table by it before any model runs.
- `csv_header(path)`: the column names of a CSV file's header row, plain or gzip (`.csv.gz`),
  parsed as the raw reader parses it (comma, double quotes, a UTF-8 byte-order mark dropped); NULL
  when the file cannot be opened or decompressed. `raw_reader` groups a table's CSV files by header
  to read each group without sniffing every file, which DuckDB's `union_by_name` does at about
  20 MB per gzip file (thousands of BigQuery shards would need tens of GB)."""

from __future__ import annotations

import csv
import gzip
import io
import os
import re
from typing import Any

import duckdb
from dbt.adapters.duckdb.plugins import BasePlugin
from dbt_common.exceptions import DbtRuntimeError

MAGIC = b"PAR1"


def parquet_file_is_complete(path: str) -> bool:
    """Whether the file at `path` begins and ends with `PAR1` (a truncated file loses its end)."""
    try:
        with open(path, "rb") as handle:
            if handle.read(4) != MAGIC:
                return False
            handle.seek(0, os.SEEK_END)
            if handle.tell() < 12:
                return False
            handle.seek(-4, os.SEEK_END)
            return handle.read(4) == MAGIC
    except OSError:
        return False


def csv_header(path: str) -> list[str] | None:
    """The names in the first row of a CSV file (gzip when the name ends in .gz), or None."""
    try:
        raw = gzip.open(path, "rb") if path.lower().endswith(".gz") else open(path, "rb")  # noqa: SIM115
        with raw, io.TextIOWrapper(raw, encoding="utf-8-sig", errors="replace", newline="") as text:
            return next(csv.reader(text, delimiter=",", quotechar='"', doublequote=True), [])
    except (OSError, EOFError, csv.Error):
        return None


def database_problem(path: str, error: Exception) -> str:
    """What to tell about a DuckDB file that could not be opened, in one message."""
    text = str(error)
    holder = re.search(r"Conflicting lock is held in (.*?) \(PID (\d+)\)", text)
    if holder:
        return (
            f"the DuckDB file {path} (DUCKDB_PATH) is in use by another process, {holder.group(1)} (PID"
            f" {holder.group(2)}), such as another dbt build on the same file: DuckDB lets one process"
            " write a file at a time. Wait for it to finish, or set DUCKDB_PATH to another file."
        )
    if re.search(r"Read-only file system|Permission denied", text):
        return (
            f"the DuckDB file {path} (DUCKDB_PATH) cannot be written there ({text.split(': ')[-1]}): a"
            " build writes the warehouse file, so set DUCKDB_PATH to a file in a writable folder."
        )
    if "No such file or directory" in text:
        return f"the DuckDB file {path} (DUCKDB_PATH) cannot be created: its folder does not exist."
    return f"the DuckDB file {path} (DUCKDB_PATH) cannot be opened: {text}"


class Plugin(BasePlugin):
    def update_connection_config(self, creds: Any, config: dict[str, Any]) -> None:
        """Open and close the file once before dbt-duckdb does; stop with one message if that fails."""
        path = str(creds.path)
        if path == ":memory:" or path.startswith(("md:", "motherduck:")):
            return
        try:
            duckdb.connect(path, read_only=False, config=dict(config)).close()
        except duckdb.Error as error:
            raise DbtRuntimeError(database_problem(path, error)) from None

    def configure_connection(self, conn) -> None:
        conn.create_function("parquet_file_is_complete", parquet_file_is_complete, ["VARCHAR"], "BOOLEAN")
        conn.create_function("csv_header", csv_header, ["VARCHAR"], "VARCHAR[]")
