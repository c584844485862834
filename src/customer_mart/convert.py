"""Raw files into Parquet of exactly the raw contract's types, every value exact or refused.

`customer-mart upload` uses it so that what reaches S3 is what Spectrum reads (`spectrum.py`):
each column in the Arrow type of `schema.arrow_schema` (int64, float64, string, timestamp in
microseconds, UTC), which pyarrow writes as INT64, DOUBLE, BYTE_ARRAY String and INT64
Timestamp(MICROS, UTC), as the generator does.

- **CSV** (`.csv`, and BigQuery's gzip `.csv.gz`): a header row naming the contract's columns (in
  any order; other columns are left out), RFC 4180 quoting (a quoted field may hold commas and
  line breaks), an empty field, `null` or `NULL` is NULL, a UTF-8 byte-order mark is dropped. Read
  as text in batches (pyarrow's streaming CSV reader), so a large export never has to fit in
  memory, then each column converted exactly (below). A row with fewer or more fields than the
  header is refused, naming its line: DuckDB and `customer-mart load` read a row cut short with
  NULLs, but an upload is the moment to have the export repeated, not to publish a half row.
- **Parquet** (`convert_parquet`, for `upload --convert-types`): the same column rules over the
  stored values: a whole-valued DOUBLE for an integer, an integer or DECIMAL for a double,
  another timestamp unit, columns in another order or beyond the contract.

A value converts only if the result is the same value; otherwise the file is refused
(ConversionError naming the column and an example):
- integer: text of an integer (`-12`, `"24466"`, spaces around it allowed); a float that is whole
  and within INT64; another integer width; a DECIMAL with no fraction. `3.5`, `abc`, `1e3` text
  and epoch-less nonsense are refused.
- double: text as a number (`28.5`, `1e-3`, `NaN`, `Infinity`), a DECIMAL or a float, each read as
  the nearest double, which is what a double column means and every engine reads; an integer
  only within +-2**53, where doubles are exact.
- string: text as it is (the staging models trim it); binary only if it is UTF-8; never a number
  (an exported postal code read as a number has already lost its leading zeros).
- timestamp: ISO 8601 text with a date and a time (`2024-01-05 10:11:12`, `...T...`, fractions,
  `Z` or an offset, or BigQuery's `2024-01-05 10:11:12.345678 UTC`); a value with an offset is
  converted to UTC, one without is UTC (the staging models' rule). Digits beyond the microsecond
  must be zeros. Timestamps of another unit convert when no digit is lost. Dates and epoch
  numbers are refused (a date is not an instant, and a number has no known unit).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from customer_mart.schema import COLUMNS, CSV_NULLS, arrow_schema, open_csv_text

# Rows per Parquet row group (Spectrum splits a Parquet file by row group), and bytes of CSV per
# batch read: together they bound the memory of a conversion whatever the file's size.
ROW_GROUP_ROWS = 250_000
CSV_BLOCK_BYTES = 4 << 20
PARQUET_BATCH_ROWS = 65_536

_INTEGER_TEXT = r"^[+-]?[0-9]+$"
_FLOAT_TEXT = r"^[+-]?(([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?|inf|infinity|nan)$"
# A time followed by a zone: `...:12Z`, `...:12.5+02:00`, `...:12-0530`.
_ZONED_TEXT = r":[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}(:?[0-9]{2})?)$"
_EXACT_DOUBLE_INTEGER = 2**53


class ConversionError(Exception):
    """A file that cannot be converted exactly; the message names the column and an example."""


class _Inexact(Exception):
    def __init__(self, reason: str, example: object = None) -> None:
        super().__init__(reason)
        self.reason, self.example = reason, example


def _example(values: pa.Array, bad: pa.Array) -> object:
    """The first value where `bad` is true (NULLs in `bad` are not bad)."""
    return pc.filter(values, pc.fill_null(bad, False))[0].as_py()


def _any(mask: pa.Array) -> bool:
    return bool(pc.any(pc.fill_null(mask, False)).as_py())


def _first_failing(values: pa.Array, convert: Callable[[pa.Array], pa.Array]) -> int | None:
    """On the error path only: the position of the first value `convert` refuses on its own."""
    for index in range(len(values)):
        try:
            convert(values.slice(index, 1))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            return index
    return None


def _strict(
    values: pa.Array, convert: Callable[[pa.Array], pa.Array], reason: str, shown: pa.Array | None = None
) -> pa.Array:
    """`convert(values)`, or _Inexact with the first value it refuses, taken from `shown` (the
    values as they were before any normalisation) when given."""
    try:
        return convert(values)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        index = _first_failing(values, convert)
        example = None if index is None else (values if shown is None else shown)[index].as_py()
        raise _Inexact(reason, example) from None


def _text(values: pa.Array) -> pa.Array:
    return pc.utf8_trim_whitespace(values.cast(pa.string()))


def _to_int64(values: pa.Array) -> pa.Array:
    kind = values.type
    if kind == pa.int64():
        return values
    if pa.types.is_integer(kind):
        return _strict(values, lambda v: v.cast(pa.int64()), "an integer beyond INT64")
    if pa.types.is_floating(kind):
        finite = pc.is_finite(values)
        whole = pc.and_(finite, pc.equal(values, pc.trunc(values)))
        fits = pc.and_(pc.greater_equal(values, -(2.0**63)), pc.less(values, 2.0**63))
        bad = pc.invert(pc.and_(whole, fits))
        if _any(bad):
            raise _Inexact("a number with a fraction, or beyond INT64 (never rounded)", _example(values, bad))
        return values.cast(pa.int64())
    if pa.types.is_decimal(kind):
        return _strict(values, lambda v: v.cast(pa.int64()), "a number with a fraction, or beyond INT64")
    if pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_string_view(kind):
        text = _text(values)
        bad = pc.invert(pc.match_substring_regex(text, _INTEGER_TEXT))
        if _any(bad):
            raise _Inexact("text that is not an integer", _example(values, bad))
        unsigned = pc.replace_substring_regex(text, r"^\+", "")  # Arrow's integer parser takes no `+`
        return _strict(unsigned, lambda v: v.cast(pa.int64()), "an integer beyond INT64", shown=values)
    raise _Inexact(f"values of type {kind}, not integers")


def _to_float64(values: pa.Array) -> pa.Array:
    kind = values.type
    if kind == pa.float64():
        return values
    if pa.types.is_floating(kind):
        return values.cast(pa.float64())
    if pa.types.is_integer(kind):
        bad = pc.or_(pc.greater(values, _EXACT_DOUBLE_INTEGER), pc.less(values, -_EXACT_DOUBLE_INTEGER))
        if _any(bad):
            raise _Inexact(
                "an integer beyond +-2**53, which a double cannot hold exactly", _example(values, bad)
            )
        return values.cast(pa.float64())
    if pa.types.is_decimal(kind):
        # Through its exact decimal text: the string-to-double parse gives the nearest double.
        return values.cast(pa.string()).cast(pa.float64())
    if pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_string_view(kind):
        text = _text(values)
        bad = pc.invert(pc.match_substring_regex(text, _FLOAT_TEXT, ignore_case=True))
        if _any(bad):
            raise _Inexact("text that is not a number", _example(values, bad))
        return _strict(text, lambda v: v.cast(pa.float64()), "text that is not a number", shown=values)
    raise _Inexact(f"values of type {kind}, not numbers")


def _to_string(values: pa.Array) -> pa.Array:
    kind = values.type
    if kind == pa.string():
        return values
    if pa.types.is_dictionary(kind):
        return _to_string(values.dictionary_decode())
    if pa.types.is_large_string(kind) or pa.types.is_string_view(kind):
        return values.cast(pa.string())
    if pa.types.is_binary(kind) or pa.types.is_large_binary(kind) or pa.types.is_binary_view(kind):
        return _strict(values, lambda v: v.cast(pa.string()), "bytes that are not UTF-8 text")
    raise _Inexact(f"values of type {kind}, not text")


def _to_timestamp(values: pa.Array, target: pa.DataType) -> pa.Array:
    kind = values.type
    if pa.types.is_timestamp(kind):
        utc = values if kind.tz is not None else values.cast(pa.timestamp(kind.unit, tz="UTC"))
        if kind.unit == "ns":
            truncated = utc.cast(target, safe=False).cast(utc.type)
            bad = pc.not_equal(truncated, utc)
            if _any(bad):
                raise _Inexact("a timestamp with digits beyond the microsecond", _example(values, bad))
        return _strict(utc, lambda v: v.cast(target), "a timestamp out of range")
    if pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_string_view(kind):
        text = pc.replace_substring_regex(_text(values), r"\s*UTC$", "Z")
        zoned = pc.match_substring_regex(text, _ZONED_TEXT)
        text = pc.if_else(zoned, text, pc.binary_join_element_wise(text, "Z", ""))
        # Zeros beyond the microsecond change nothing; other digits there are refused below.
        text = pc.replace_substring_regex(text, r"(\.[0-9]{6})0+(Z|[+-].*)$", r"\1\2")
        return _strict(
            text,
            lambda v: v.cast(target),
            "text that is not a timestamp to the microsecond "
            "(an ISO 8601 date and time, or BigQuery's '... UTC')",
            shown=values,
        )
    raise _Inexact(f"values of type {kind}, not timestamps (a date or an epoch number is no instant)")


def exact_array(values: pa.Array, target: pa.DataType) -> pa.Array:
    """`values` in the `target` type of the raw contract, each value unchanged, or _Inexact."""
    if pa.types.is_int64(target):
        return _to_int64(values)
    if pa.types.is_float64(target):
        return _to_float64(values)
    if pa.types.is_string(target):
        return _to_string(values)
    if pa.types.is_timestamp(target):
        return _to_timestamp(values, target)
    raise ValueError(f"no conversion to {target}")


def _exact_batch(table: str, batch: pa.RecordBatch, schema: pa.Schema) -> pa.RecordBatch:
    arrays = []
    for field in schema:
        column = batch.column(batch.schema.get_field_index(field.name))
        try:
            arrays.append(exact_array(column, field.type))
        except _Inexact as inexact:
            example = "" if inexact.example is None else f", such as {inexact.example!r}"
            kind = dict(COLUMNS[table])[field.name]
            raise ConversionError(f"column {field.name} ({kind}) holds {inexact.reason}{example}") from None
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


class _RowGroups:
    """A Parquet writer that gathers batches into row groups of about ROW_GROUP_ROWS rows."""

    def __init__(self, target: Path, schema: pa.Schema) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        # Parquet data pages v1 (pyarrow's default, said explicitly): "Amazon Redshift supports
        # Apache Parquet v1 data file format" (AWS, "Data files for queries in Amazon Redshift
        # Spectrum"). Snappy is the codec the generator, DuckDB and BigQuery all write.
        self.writer = pq.ParquetWriter(target, schema, compression="snappy", data_page_version="1.0")
        self.pending: list[pa.RecordBatch] = []
        self.rows = 0

    def add(self, batch: pa.RecordBatch) -> None:
        self.pending.append(batch)
        if sum(len(b) for b in self.pending) >= ROW_GROUP_ROWS:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            table = pa.Table.from_batches(self.pending)
            self.writer.write_table(table, row_group_size=ROW_GROUP_ROWS)
            self.rows += table.num_rows
            self.pending = []

    def close(self) -> int:
        self.flush()
        self.writer.close()
        return self.rows


def csv_header(path: Path) -> list[str] | None:
    """The header row of a raw CSV file (gzip undone, BOM dropped), or None if it is empty."""
    import csv

    with open_csv_text(path) as handle:
        return next(csv.reader(handle), None)


def _line_of_row_with(path: Path, fields: int) -> int | None:
    """On the error path only: the line on which the first data row of `fields` fields ends,
    as Python's csv module counts lines."""
    import csv

    with open_csv_text(path) as handle:
        reader = csv.reader(handle)
        next(reader, None)
        for row in reader:
            if row and len(row) == fields:
                return reader.line_num
    return None


def convert_csv(table: str, source: Path, target: Path) -> int:
    """Write `source` (CSV) as Parquet of the contract's types at `target`; the rows written.
    Raises ConversionError (and leaves no `target`) when any value does not convert exactly."""
    schema = arrow_schema(table)
    try:
        header = csv_header(source)
    except UnicodeDecodeError as error:
        raise ConversionError(f"is not UTF-8 text ({error}); export it again as UTF-8") from None
    except (OSError, EOFError) as error:
        raise ConversionError(f"cannot be read: {error}") from None
    if header is None:
        raise ConversionError("is empty: a raw CSV file starts with a header row")
    missing = [name for name in schema.names if name not in header]
    if missing:
        raise ConversionError(f"has no column {', '.join(missing)} in its header")

    bad_rows: list[str] = []

    def invalid_row(row) -> str:
        # pyarrow cannot number lines when values may hold line breaks: count them here.
        line = row.number if row.number is not None else _line_of_row_with(source, row.actual_columns)
        bad_rows.append(
            f"line {line} has {row.actual_columns} fields for {row.expected_columns} columns: {row.text!r}"
        )
        return "error"

    compression = "gzip" if source.name.lower().endswith(".gz") else None
    try:
        with pa.input_stream(str(source), compression=compression) as stream:
            reader = pacsv.open_csv(
                stream,
                read_options=pacsv.ReadOptions(block_size=CSV_BLOCK_BYTES),
                parse_options=pacsv.ParseOptions(newlines_in_values=True, invalid_row_handler=invalid_row),
                convert_options=pacsv.ConvertOptions(
                    include_columns=schema.names,
                    column_types=dict.fromkeys(schema.names, pa.string()),
                    null_values=list(CSV_NULLS),
                    strings_can_be_null=True,
                    quoted_strings_can_be_null=True,
                ),
            )
            writer = _RowGroups(target, schema)
            try:
                for batch in reader:
                    writer.add(_exact_batch(table, batch, schema))
                return writer.close()
            except BaseException:
                with contextlib.suppress(Exception):
                    writer.writer.close()
                target.unlink(missing_ok=True)
                raise
    except (pa.ArrowInvalid, OSError, EOFError) as error:
        if bad_rows:
            raise ConversionError(f"{bad_rows[0]}; every row needs the header's fields") from None
        detail = str(error)
        if "UTF8" in detail:
            raise ConversionError(f"is not UTF-8 text ({detail}); export it again as UTF-8") from None
        raise ConversionError(f"cannot be read as CSV: {detail}") from None


def convert_parquet(table: str, source: Path, target: Path) -> int:
    """Rewrite a loosely typed Parquet file as Parquet of the contract's types, in the contract's
    column order, at `target`; the rows written. ConversionError when a value would change."""
    schema = arrow_schema(table)
    try:
        parquet = pq.ParquetFile(source)
    except (pa.ArrowException, OSError) as error:
        raise ConversionError(f"is not a complete Parquet file: {error}") from None
    missing = [name for name in schema.names if name not in parquet.schema_arrow.names]
    if missing:
        raise ConversionError(f"lacks the column(s) {', '.join(missing)} of the raw contract")
    writer = _RowGroups(target, schema)
    try:
        for batch in parquet.iter_batches(batch_size=PARQUET_BATCH_ROWS, columns=schema.names):
            writer.add(_exact_batch(table, batch, schema))
        return writer.close()
    except BaseException:
        with contextlib.suppress(Exception):
            writer.writer.close()
        target.unlink(missing_ok=True)
        raise
