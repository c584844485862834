"""Redshift Spectrum's reading rules for the raw tables, as code: which files under a table's
location Spectrum reads, and whether it can read a Parquet file as the table declares it.

These are **Spectrum's** rules (the production engine, through the Glue tables of `infra/`), not
the looser contract rules DuckDB's start-of-run checks and `customer-mart load` apply
(`schema.parquet_problem`: whole-valued floats pass as integers there, because those engines
cast). Spectrum does not cast: a Parquet column's type must match the external table's column
type, or the scan fails with

    File 'https://s3bucket/location/file' has an incompatible Parquet schema for column
    's3://s3bucket/location.col1'. Column type: VARCHAR, Par...

(AWS Knowledge Center, "How do I resolve data incompatibility errors in Redshift Spectrum?",
https://repost.aws/knowledge-center/redshift-spectrum-data-errors: "For columnar file formats
such as Apache Parquet, the column type is embedded with the data. The column type in the CREATE
EXTERNAL TABLE definition must match the column type of the data file.")

AWS does not publish a full table of which Parquet types Spectrum reads as which column type.
Where its pages are silent, the rules below are conservative, and each says so: they accept only
what a page or a maintainer-confirmed report shows Spectrum reading, so a file this module passes
is one Spectrum reads, while a file it refuses might have been readable (a refusal costs a
re-export or `customer-mart upload --convert-types`; a wrong pass costs a failed weekly build).

Nothing here needs AWS, and nothing casts a value: the checks read the Parquet footer only, and
`read_parquet_file` returns the columns as stored. The column types come from the caller as
(column, Glue type) pairs, for the raw tables `upload.expected_glue_columns(table)`, the same
list `infra/glue.tf` is built from.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import overload

# The Glue (Hive) type names this module has rules for, and the Redshift type name Spectrum's
# message uses for each (Redshift names the external column's type, e.g. "Column type: VARCHAR").
REDSHIFT_NAMES = {
    "bigint": "BIGINT",
    "double": "DOUBLE PRECISION",
    "string": "VARCHAR",
    "timestamp": "TIMESTAMP",
}


class SpectrumError(Exception):
    """A file Spectrum could not read as the table declares it; the message names the file."""


class UnreadableParquet(SpectrumError):
    """Not a complete Parquet file (truncated, empty, or another format)."""


class IncompatibleParquetSchema(SpectrumError):
    """A Parquet column Spectrum would refuse; `mismatches` has every one found in the file."""

    def __init__(self, mismatches: Sequence[Mismatch]) -> None:
        self.mismatches = list(mismatches)
        super().__init__("\n".join(m.message for m in self.mismatches))


@dataclass(frozen=True)
class Mismatch:
    """One column of one Parquet file that Spectrum would refuse.

    `declared` is the Glue type ("bigint"), `parquet` the column as the file stores it, written
    as Parquet's schema prints it ("optional double age"), and `reason` says which rule failed.
    `convertible` is False when no rewrite of the file can fix it (the column is missing, or
    holds lists or structs).
    """

    file: str
    column: str
    declared: str
    parquet: str
    reason: str
    convertible: bool = True

    @property
    def message(self) -> str:
        """Spectrum's message for it, in the shape of SVL_S3LOG's, then the reason."""
        column_type = REDSHIFT_NAMES.get(self.declared, self.declared.upper())
        return (
            f"File '{self.file}' has an incompatible Parquet schema for column '{self.column}'. "
            f"Column type: {column_type}, Parquet schema: {self.parquet} ({self.reason})"
        )


# --- Which files Spectrum reads --------------------------------------------------------------
# CREATE EXTERNAL TABLE, LOCATION (https://docs.aws.amazon.com/redshift/latest/dg/
# r_CREATE_EXTERNAL_TABLE.html): "If the path specifies a folder, for example
# 's3://mybucket/custdata/', Redshift Spectrum scans the files in the specified folder and any
# subfolders. Redshift Spectrum ignores hidden files and files that begin with a period,
# underscore, or hash mark ( . , _, or #) or end with a tilde (~)."
# The page speaks of files. Whether a *folder* named `_x/` or `.x/` is skipped it does not say, so
# such folders count as read: every file Spectrum might read is then checked (the conservative
# side for both a refusal and a rehearsal). In S3 a "hidden file" is a name starting with `.`.
IGNORED_PREFIXES = (".", "_", "#")
IGNORED_SUFFIXES = ("~",)


def ignores_name(name: str) -> bool:
    """Whether Spectrum skips a file of this name (the last part of its key), by the rule above."""
    return name.startswith(IGNORED_PREFIXES) or name.endswith(IGNORED_SUFFIXES)


def reads_key(relative_key: str) -> bool:
    """Whether Spectrum reads the object at this key, given relative to the table's location
    (`dt=2026-11-23/part-0.parquet`). Keys ending with `/` are folder markers, not files."""
    if not relative_key or relative_key.endswith("/"):
        return False
    return not ignores_name(relative_key.rsplit("/", 1)[-1])


@overload
def files_read(location: Path) -> list[Path]: ...
@overload
def files_read(location: Iterable[str]) -> list[str]: ...


def files_read(location: Path | Iterable[str]) -> list[Path] | list[str]:
    """The files Spectrum reads of a table, sorted: at any depth under a local folder standing
    for the table's location (a list of paths), or among object keys relative to the location
    (a list of those keys)."""
    if isinstance(location, Path):
        if not location.is_dir():
            raise SpectrumError(f"table location {location} is not a folder")
        return sorted(
            path
            for path in location.rglob("*")
            if path.is_file() and reads_key(path.relative_to(location).as_posix())
        )
    return sorted(key for key in location if reads_key(key))


# --- Parquet types -----------------------------------------------------------------------------
# The footer's view of one column, as pyarrow reads it (pyarrow.parquet.ColumnSchema).
_LOGICAL_NOISE = re.compile(r", is_from_converted_type=\w+|, force_set_converted_type=\w+")


def _describe(column) -> str:
    """A leaf column as Parquet's schema prints it: `optional int64 created_at (Timestamp(...))`."""
    if column.max_repetition_level > 0:
        repetition = "repeated"
    else:
        repetition = "optional" if column.max_definition_level > 0 else "required"
    physical = column.physical_type.lower()
    if physical == "fixed_len_byte_array":
        physical = f"fixed_len_byte_array({column.length})"
    logical = str(column.logical_type)
    annotation = f" ({_LOGICAL_NOISE.sub('', logical)})" if logical != "None" else ""
    return f"{repetition} {physical} {column.path}{annotation}"


def _timestamp_unit(column) -> str | None:
    """`MILLIS`, `MICROS` or `NANOS` for an INT64 timestamp (logical type, or the legacy
    converted type alone), else None."""
    logical = column.logical_type
    if logical.type == "TIMESTAMP":
        unit = re.search(r"timeUnit=(\w+)", str(logical))
        return {"milliseconds": "MILLIS", "microseconds": "MICROS", "nanoseconds": "NANOS"}.get(
            unit.group(1) if unit else ""
        )
    return {"TIMESTAMP_MILLIS": "MILLIS", "TIMESTAMP_MICROS": "MICROS"}.get(column.converted_type)


def type_problem(column, declared: str) -> str | None:
    """Why Spectrum would not read this Parquet leaf column as the Glue type `declared`, or None.

    The rules, one per Glue type, each with its source:
    - bigint: INT64, signed (no annotation, or Int(bitWidth=64, isSigned=true)). Only an exact
      match is documented (Knowledge Center above: the types "must match"); INT32, unsigned,
      DOUBLE (what pandas writes for an integer column with a NULL) and DECIMAL are refused.
    - double: DOUBLE, unannotated. FLOAT, integers and DECIMAL are refused (same page; for
      DECIMAL the page adds its own "invalid type length" error).
    - string: BYTE_ARRAY annotated String (legacy UTF8). Unannotated BYTE_ARRAY (binary), ENUM,
      JSON and numbers are refused: the pages are silent on them, so conservatively.
    - timestamp: INT96 (the legacy Hive/Impala timestamp; for years the only one Spectrum read,
      github.com/apache/arrow/issues/16721), or INT64 annotated Timestamp in MICROS (pyarrow
      12's output, reported read correctly, github.com/apache/arrow/issues/38000). That file
      came from pandas, so naive (isAdjustedToUTC=false); the pages are silent on the flag, which
      changes no stored value. UTC-adjusted MICROS (what the generator, DuckDB's timestamptz and
      the conversions here write) is accepted too: refusing it would refuse the project's own
      format, and the first live run is where that is confirmed (infra/README.md). NANOS is
      refused: pandas files written by pyarrow 13+ in nanoseconds are the subject of that same
      issue (unreadable by Spectrum). MILLIS is refused conservatively: no page or report shows
      Spectrum reading it. A DATE, text or epoch numbers are refused.
    Other Glue types have no rule here: a ValueError says so rather than guess.
    """
    if declared not in REDSHIFT_NAMES:
        raise ValueError(f"no Spectrum rule for Glue type {declared!r} (rules: {', '.join(REDSHIFT_NAMES)})")
    physical = column.physical_type
    logical = column.logical_type.type
    if column.max_repetition_level > 0:
        return "a repeated (list or map) column where a single value is declared"
    if declared == "bigint":
        signed = logical == "INT" and "bitWidth=64, isSigned=true" in str(column.logical_type)
        if physical == "INT64" and (logical == "NONE" or signed):
            return None
        if physical == "DOUBLE" or physical == "FLOAT":
            return f"an integer column stored as {physical}; Spectrum does not cast it"
        return f"stored as {_short(column)}, not a signed INT64"
    if declared == "double":
        if physical == "DOUBLE" and logical == "NONE":
            return None
        return f"stored as {_short(column)}, not DOUBLE"
    if declared == "string":
        if physical == "BYTE_ARRAY" and (logical == "STRING" or column.converted_type == "UTF8"):
            return None
        return f"stored as {_short(column)}, not BYTE_ARRAY annotated String (UTF-8)"
    # timestamp
    if physical == "INT96":
        return None
    if physical == "INT64":
        unit = _timestamp_unit(column)
        if unit == "MICROS":
            return None
        if unit in ("MILLIS", "NANOS"):
            return f"an INT64 timestamp in {unit}; Spectrum reads INT96 or INT64 MICROS"
    return f"stored as {_short(column)}, not a timestamp (INT96, or INT64 Timestamp in MICROS)"


def _short(column) -> str:
    logical = str(column.logical_type)
    return column.physical_type + (f" {_LOGICAL_NOISE.sub('', logical)}" if logical != "None" else "")


def parquet_mismatches(
    path: str | Path, columns: Sequence[tuple[str, str]], *, name: str | None = None
) -> list[Mismatch]:
    """Every column of one Parquet file that Spectrum would refuse, against the declared
    (column, Glue type) pairs; empty when Spectrum reads the file as declared. `name` is how the
    file is named in the mismatches (its S3 key, say); by default its path.

    Besides each column's type (`type_problem`), the declared columns must be the file's first
    columns, in the declared order: Spectrum's documentation states how it maps Parquet columns
    to the table's only for ORC (by name by default; CREATE EXTERNAL TABLE,
    `orc.schema.resolution`), so a file is accepted only if it reads the same either way, by name
    or by position. Columns after the declared ones are allowed (neither way reads them).
    A missing or nested column is never `convertible`. Reads the footer only; raises UnreadableParquet when
    the file is not complete Parquet.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    shown = name or str(path)
    try:
        schema = pq.ParquetFile(path).schema
    except (pa.ArrowException, OSError) as error:
        raise UnreadableParquet(
            f"File '{shown}' is not a complete Parquet file (truncated, or not Parquet at all): {error}"
        ) from None

    # Top-level columns in file order; a nested column has several leaves under one name.
    leaves: dict[str, list] = {}
    for index in range(len(schema)):
        leaf = schema.column(index)
        leaves.setdefault(leaf.path.split(".", 1)[0], []).append(leaf)
    order = list(leaves)

    found = []
    for position, (column, declared) in enumerate(columns):
        if column not in leaves:
            found.append(
                Mismatch(shown, column, declared, "(no such column)", "the file lacks the column", False)
            )
            continue
        parts = leaves[column]
        if len(parts) > 1 or parts[0].path != column:
            described = "group " + column + " (" + ", ".join(_describe(p) for p in parts) + ")"
            found.append(
                Mismatch(
                    shown, column, declared, described, "a nested column where a value is declared", False
                )
            )
            continue
        problem = type_problem(parts[0], declared)
        if problem is None and order.index(column) != position:
            problem = (
                f"column {order.index(column) + 1} of the file, declared as column {position + 1}; "
                "Spectrum may map Parquet columns by position"
            )
        if problem:
            found.append(Mismatch(shown, column, declared, _describe(parts[0]), problem))
    return found


def check_parquet_file(
    path: str | Path, columns: Sequence[tuple[str, str]], *, name: str | None = None
) -> None:
    """Raise IncompatibleParquetSchema (or UnreadableParquet) as Spectrum's scan would fail."""
    mismatches = parquet_mismatches(path, columns, name=name)
    if mismatches:
        raise IncompatibleParquetSchema(mismatches)


def read_parquet_file(path: str | Path, columns: Sequence[tuple[str, str]], *, name: str | None = None):
    """The declared columns of one Parquet file as a pyarrow Table, in the declared order, after
    `check_parquet_file`: values as stored, no cast. INT96 timestamps are read in microseconds,
    Redshift's TIMESTAMP precision; INT64 timestamps keep the file's zone flag (UTC-adjusted ones
    come back with tz='UTC', the others naive)."""
    import pyarrow.parquet as pq

    check_parquet_file(path, columns, name=name)
    return pq.read_table(path, columns=[column for column, _ in columns], coerce_int96_timestamp_unit="us")


def read_location(folder: Path, columns: Sequence[tuple[str, str]]) -> Iterator[tuple[Path, object]]:
    """Each file Spectrum reads under a local folder standing for a table's location, with its
    rows (`read_parquet_file`); the first file Spectrum would refuse raises, as its scan fails."""
    for path in files_read(folder):
        yield path, read_parquet_file(path, columns, name=path.relative_to(folder).as_posix())
