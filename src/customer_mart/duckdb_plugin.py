"""A dbt-duckdb plugin (profiles.yml: `plugins: [{module: customer_mart.duckdb_plugin}]`) that gives
every dbt connection the SQL function `parquet_file_is_complete(path)`: true when the file starts
and ends with Parquet's magic bytes `PAR1`. It reads 8 bytes of each file, where SQL alone can only
read a file whole (`read_blob`): the start-of-run check (macros/staging/check_raw_files.sql) uses
it to name a truncated file and its table before any model runs."""

from __future__ import annotations

import os

from dbt.adapters.duckdb.plugins import BasePlugin

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


class Plugin(BasePlugin):
    def configure_connection(self, conn) -> None:
        conn.create_function("parquet_file_is_complete", parquet_file_is_complete, ["VARCHAR"], "BOOLEAN")
