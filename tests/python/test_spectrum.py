"""Spectrum's reading rules (src/customer_mart/spectrum.py), one test per rule: each Parquet type a
Glue type accepts, each it refuses (with Spectrum's message), the column order, the files Spectrum
reads under a location, and the reader a rehearsal builds its external tables with. No AWS."""

from __future__ import annotations

import datetime as dt
import decimal
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from customer_mart import spectrum
from customer_mart.schema import TABLES, arrow_schema
from customer_mart.upload import expected_glue_columns

UTC = dt.UTC
WHEN = dt.datetime(2024, 1, 5, 10, 11, 12, 345678)


def _one_column(tmp_path: Path, array: pa.Array, **write) -> Path:
    path = tmp_path / "c.parquet"
    pq.write_table(pa.table({"c": array}), path, **write)
    return path


# --- types Spectrum reads as each Glue type -------------------------------------------------

ACCEPTED = {
    "bigint: INT64": ("bigint", pa.array([1, None], pa.int64()), {}),
    "double: DOUBLE": ("double", pa.array([1.5, None], pa.float64()), {}),
    "string: BYTE_ARRAY String": ("string", pa.array(["x", None], pa.string()), {}),
    "string: large_string is BYTE_ARRAY String too": ("string", pa.array(["x"], pa.large_string()), {}),
    "string: dictionary-encoded": ("string", pa.array(["x", "x"]).dictionary_encode(), {}),
    "timestamp: INT64 MICROS, UTC": ("timestamp", pa.array([WHEN], pa.timestamp("us", tz="UTC")), {}),
    "timestamp: INT64 MICROS, naive": ("timestamp", pa.array([WHEN], pa.timestamp("us")), {}),
    "timestamp: INT96": (
        "timestamp",
        pa.array([WHEN], pa.timestamp("ns")),
        {"use_deprecated_int96_timestamps": True},
    ),
}


@pytest.mark.parametrize("case", list(ACCEPTED), ids=list(ACCEPTED))
def test_a_type_spectrum_reads_is_accepted(tmp_path: Path, case: str) -> None:
    declared, array, write = ACCEPTED[case]
    path = _one_column(tmp_path, array, **write)
    assert spectrum.parquet_mismatches(path, [("c", declared)]) == []


# --- types it refuses, each with the rule's reason -----------------------------------------

REFUSED = {
    "bigint: DOUBLE, as pandas writes an integer column with a NULL": (
        "bigint",
        None,  # written by pandas below
        "optional double c",
        "an integer column stored as DOUBLE",
    ),
    "bigint: INT32": ("bigint", pa.array([1], pa.int32()), "optional int32 c", "not a signed INT64"),
    "bigint: unsigned INT64": ("bigint", pa.array([1], pa.uint64()), "isSigned=false", "not a signed INT64"),
    "bigint: DECIMAL": (
        "bigint",
        pa.array([decimal.Decimal("1")], pa.decimal128(10, 0)),
        "Decimal(precision=10, scale=0)",
        "not a signed INT64",
    ),
    "bigint: text": ("bigint", pa.array(["1"]), "optional byte_array c (String)", "not a signed INT64"),
    "double: FLOAT": ("double", pa.array([1.5], pa.float32()), "optional float c", "not DOUBLE"),
    "double: INT64": ("double", pa.array([1], pa.int64()), "optional int64 c", "not DOUBLE"),
    "double: DECIMAL": (
        "double",
        pa.array([decimal.Decimal("1.50")], pa.decimal128(5, 2)),
        "Decimal(precision=5, scale=2)",
        "not DOUBLE",
    ),
    "string: binary (BYTE_ARRAY, no String annotation)": (
        "string",
        pa.array([b"x"], pa.binary()),
        "optional byte_array c",
        "not BYTE_ARRAY annotated String",
    ),
    "string: INT64": ("string", pa.array([1], pa.int64()), "optional int64 c", "not BYTE_ARRAY"),
    "timestamp: MILLIS": (
        "timestamp",
        pa.array([WHEN], pa.timestamp("ms")),
        "timeUnit=milliseconds",
        "an INT64 timestamp in MILLIS",
    ),
    "timestamp: seconds, which Parquet stores as MILLIS": (
        "timestamp",
        pa.array([WHEN], pa.timestamp("s")),
        "timeUnit=milliseconds",
        "in MILLIS",
    ),
    "timestamp: NANOS": (
        "timestamp",
        pa.array([WHEN], pa.timestamp("ns", tz="UTC")),
        "timeUnit=nanoseconds",
        "an INT64 timestamp in NANOS",
    ),
    "timestamp: DATE": ("timestamp", pa.array([WHEN.date()]), "(Date)", "not a timestamp"),
    "timestamp: epoch numbers": (
        "timestamp",
        pa.array([1_704_449_472], pa.int64()),
        "int64",
        "not a timestamp",
    ),
    "timestamp: text": ("timestamp", pa.array(["2024-01-05 10:11:12"]), "(String)", "not a timestamp"),
    "bigint: a list": ("bigint", pa.array([[1, 2]]), "group c", "a nested column"),
}


@pytest.mark.parametrize("case", list(REFUSED), ids=list(REFUSED))
def test_a_type_spectrum_refuses_is_named_with_both_types(tmp_path: Path, case: str) -> None:
    declared, array, stored, reason = REFUSED[case]
    if array is None:
        path = tmp_path / "c.parquet"
        pd.DataFrame({"c": [1, None, 3]}).to_parquet(path)  # pandas: int column with a NULL -> float64
    else:
        path = _one_column(tmp_path, array)

    [mismatch] = spectrum.parquet_mismatches(path, [("c", declared)], name="s3://bucket/t/c.parquet")

    assert (mismatch.file, mismatch.column, mismatch.declared) == ("s3://bucket/t/c.parquet", "c", declared)
    assert stored in mismatch.parquet
    assert reason in mismatch.reason
    assert mismatch.message.startswith(
        "File 's3://bucket/t/c.parquet' has an incompatible Parquet schema for column 'c'. "
        f"Column type: {spectrum.REDSHIFT_NAMES[declared]}, Parquet schema: "
    )
    assert mismatch.convertible == (case != "bigint: a list")
    with pytest.raises(
        spectrum.IncompatibleParquetSchema, match="incompatible Parquet schema for column 'c'"
    ):
        spectrum.check_parquet_file(path, [("c", declared)])


def test_a_glue_type_without_a_rule_is_an_error_not_a_guess(tmp_path: Path) -> None:
    path = _one_column(tmp_path, pa.array([1], pa.int32()))
    with pytest.raises(ValueError, match="no Spectrum rule for Glue type 'int'"):
        spectrum.parquet_mismatches(path, [("c", "int")])


# --- columns: present, and in the declared order --------------------------------------------


def test_a_missing_column_is_refused_and_no_rewrite_can_fix_it(tmp_path: Path) -> None:
    path = _one_column(tmp_path, pa.array([1], pa.int64()))
    [mismatch] = spectrum.parquet_mismatches(path, [("c", "bigint"), ("d", "string")])
    assert (mismatch.column, mismatch.parquet, mismatch.convertible) == ("d", "(no such column)", False)


def test_columns_must_come_first_in_the_declared_order(tmp_path: Path) -> None:
    """Spectrum's pages state the column mapping only for ORC: a file is accepted only if it
    reads the same by name and by position. Extra columns after the declared ones are allowed."""
    path = tmp_path / "t.parquet"
    pq.write_table(pa.table({"b": ["x"], "a": pa.array([1], pa.int64()), "extra": [1.0]}), path)
    declared = [("a", "bigint"), ("b", "string")]
    reasons = {m.column: m.reason for m in spectrum.parquet_mismatches(path, declared)}
    assert set(reasons) == {"a", "b"}
    assert "column 2 of the file, declared as column 1" in reasons["a"]

    pq.write_table(pa.table({"a": pa.array([1], pa.int64()), "b": ["x"], "user_geom": ["POINT(1 2)"]}), path)
    assert spectrum.parquet_mismatches(path, declared) == []


def test_a_file_that_is_not_parquet_is_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "x.parquet"
    path.write_text("id,name\n1,x\n")
    with pytest.raises(spectrum.UnreadableParquet, match="File '.*x.parquet' is not a complete Parquet file"):
        spectrum.parquet_mismatches(path, [("id", "bigint")])


def test_the_raw_contract_as_the_generator_writes_it_passes(tmp_path: Path) -> None:
    for table in TABLES:
        path = tmp_path / f"{table}.parquet"
        pq.write_table(arrow_schema(table).empty_table(), path)
        assert spectrum.parquet_mismatches(path, expected_glue_columns(table)) == [], table


# --- which files Spectrum reads -------------------------------------------------------------


def test_files_read_skip_the_names_spectrum_ignores_and_read_subfolders(tmp_path: Path) -> None:
    """CREATE EXTERNAL TABLE, LOCATION: subfolders are scanned; names starting with `.`, `_` or
    `#`, or ending with `~`, are ignored. A folder named `_x/` is read (the page is silent)."""
    names = [
        "part-0.parquet",
        "dt=2026-11-23/part-1.parquet",
        "_hidden_folder/part-2.parquet",
        "_SUCCESS",
        ".part-0.parquet.crc",
        "#part-3.parquet",
        "part-4.parquet~",
        "dt=2026-11-23/_committed_123",
    ]
    for name in names:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("")
    read = ["_hidden_folder/part-2.parquet", "dt=2026-11-23/part-1.parquet", "part-0.parquet"]

    assert [p.relative_to(tmp_path).as_posix() for p in spectrum.files_read(tmp_path)] == read
    assert spectrum.files_read([*names, "dt=2026-11-23/"]) == read


def test_the_reader_returns_values_as_stored_and_fails_as_the_scan_would(tmp_path: Path) -> None:
    columns = [("id", "bigint"), ("created_at", "timestamp")]
    good = pa.table(
        {"id": pa.array([1, 2], pa.int64()), "created_at": pa.array([WHEN, None], pa.timestamp("ns"))}
    )
    (tmp_path / "a").mkdir()
    pq.write_table(good, tmp_path / "a" / "part-0.parquet", use_deprecated_int96_timestamps=True)
    (tmp_path / "a" / "_SUCCESS").write_text("")

    [(path, table)] = list(spectrum.read_location(tmp_path, columns))
    assert path.name == "part-0.parquet"
    assert table.column_names == ["id", "created_at"]
    assert table.schema.field("created_at").type == pa.timestamp("us")  # INT96 at Redshift's precision
    assert table.to_pydict() == {"id": [1, 2], "created_at": [WHEN, None]}

    pd.DataFrame({"id": [1, None], "created_at": [WHEN, WHEN]}).to_parquet(tmp_path / "b.parquet")
    with pytest.raises(spectrum.IncompatibleParquetSchema, match="File 'b.parquet' .* column 'id'"):
        list(spectrum.read_location(tmp_path, columns))
