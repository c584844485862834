"""`customer-mart load` through the command a user types, on a real throwaway PostgreSQL server:
empty exports, bad bytes and values, and real export layouts (issue #11 items 3 and 6, #13 item 6).

Each refusal exits 1 with a message naming the table and the file (and the column where one is
involved), no traceback, and leaves the raw tables loaded before exactly as they were.
"""

from __future__ import annotations

import csv
import gzip
import shutil
import subprocess
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import BIN_DIR, cli_env
from raw_tables import ts, two_users_tables, write_raw

from customer_mart.schema import TABLES

TRACEBACK = "Traceback (most recent call last)"


def one_row_each(raw: Path) -> Path:
    """Every raw table with one row (users two), as Parquet."""
    write_raw(
        raw,
        {
            **two_users_tables(),
            "orders": [{"order_id": 1, "user_id": 1, "status": "Complete", "created_at": ts("2026-01-01")}],
            "order_items": [{"id": 1, "order_id": 1, "user_id": 1, "product_id": 1, "sale_price": 60.0}],
            "products": [{"id": 1, "cost": 20.0, "distribution_center_id": 1}],
            "inventory_items": [{"id": 1, "product_id": 1, "cost": 20.0}],
        },
    )
    return raw


def to_csv(raw: Path, table: str) -> Path:
    """Replace a table's Parquet file with the same rows as CSV; returns the CSV path."""
    parquet = raw / table / f"{table}-000000000000.parquet"
    target = parquet.with_suffix(".csv")
    with duckdb.connect() as con:
        con.execute("set TimeZone = 'UTC'")
        con.execute(f"copy (select * from read_parquet('{parquet}')) to '{target}' (header)")
    parquet.unlink()
    return target


@pytest.fixture(scope="module")
def database(postgres_server, tmp_path_factory: pytest.TempPathFactory):
    """A database loaded once with the one-row-each folder: each refusal must leave it so."""
    name = postgres_server.create_database("loader_guards")
    result = load(postgres_server, name, one_row_each(tmp_path_factory.mktemp("load") / "raw"))
    assert result.returncode == 0, result.stderr
    return name


def load(server, database: str, raw: Path, *options: str) -> subprocess.CompletedProcess:
    env = cli_env(**server.env(database))
    return subprocess.run(
        [str(BIN_DIR / "customer-mart"), "load", "--target", "postgres", "--raw-dir", str(raw), *options],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def counts(server, database: str) -> dict[str, int]:
    return {t: server.query(database, f"select count(*) as n from thelook_raw.{t}")[0]["n"] for t in TABLES}


def refused(server, database: str, raw: Path, *expected: str) -> str:
    before = counts(server, database)
    result = load(server, database, raw)
    assert result.returncode == 1, result.stdout + result.stderr
    for part in expected:
        assert part in result.stderr, f"{part!r} not in {result.stderr!r}"
    assert TRACEBACK not in result.stderr
    assert counts(server, database) == before
    return result.stderr


def test_a_header_only_csv_is_refused_and_the_tables_kept(postgres_server, database, tmp_path: Path) -> None:
    raw = one_row_each(tmp_path / "raw")
    to_csv(raw, "users").write_text(
        "id,first_name,last_name,email,age,gender,state,street_address,postal_code,city,country,latitude,longitude,traffic_source,created_at\n"
    )
    refused(
        postgres_server, database, raw, "raw table users: no rows in its 1 csv file(s)", "--allow-empty users"
    )


def test_a_zero_row_parquet_file_is_refused_unless_allowed(postgres_server, database, tmp_path: Path) -> None:
    raw = one_row_each(tmp_path / "raw")
    path = raw / "events" / "events-000000000000.parquet"
    pq.write_table(pq.read_table(path).slice(0, 0), path)
    refused(postgres_server, database, raw, "raw table events: no rows in its 1 parquet file(s)")
    allowed = load(postgres_server, "postgres", raw, "--allow-empty", "events")
    assert allowed.returncode == 0, allowed.stderr
    assert "thelook_raw.events: 0 rows" in allowed.stdout


def test_an_unknown_table_to_allow_empty_is_named(postgres_server, tmp_path: Path) -> None:
    result = load(postgres_server, "postgres", one_row_each(tmp_path / "raw"), "--allow-empty", "customers")
    assert result.returncode == 1
    assert "--allow-empty customers: no such raw table" in result.stderr


def test_a_utf8_byte_order_mark_is_dropped(postgres_server, tmp_path: Path) -> None:
    raw = one_row_each(tmp_path / "raw")
    csv = to_csv(raw, "users")
    csv.write_bytes(b"\xef\xbb\xbf" + csv.read_bytes())
    result = load(postgres_server, postgres_server.create_database("loader_bom"), raw)
    assert result.returncode == 0, result.stderr
    assert "thelook_raw.users: 2 rows" in result.stdout


def test_a_byte_that_is_not_utf8_is_named(postgres_server, database, tmp_path: Path) -> None:
    raw = one_row_each(tmp_path / "raw")
    csv = to_csv(raw, "users")
    csv.write_bytes(csv.read_bytes().replace(b"\n1,", b"\n1,Jos\xe9", 1))
    refused(
        postgres_server,
        database,
        raw,
        f"raw table users: file {csv} is not UTF-8 text: byte 0xe9",
        "export it again as UTF-8",
    )


def test_a_latitude_that_is_not_a_number_is_named(postgres_server, database, tmp_path: Path) -> None:
    raw = one_row_each(tmp_path / "raw")
    csv = to_csv(raw, "users")
    csv.write_text(csv.read_text().replace(",35.1,", ",n/a,", 1))
    refused(postgres_server, database, raw, f"raw table users: file {csv}", "column latitude", '"n/a"')


def rewrite_csv(path: Path, change) -> None:
    """Rewrite a CSV file row by row: change(header, row) returns the row's new fields."""
    with path.open(newline="") as file:
        header, *rows = list(csv.reader(file))
    with path.open("w", newline="") as file:
        csv.writer(file).writerows([header, *(change(header, row) for row in rows)])


def test_a_row_with_one_field_too_many_is_refused(postgres_server, database, tmp_path: Path) -> None:
    raw = one_row_each(tmp_path / "raw")
    path = to_csv(raw, "users")
    rewrite_csv(path, lambda header, row: [*row, "extra"] if row[header.index("id")] == "2" else row)
    refused(
        postgres_server, database, raw, f"raw table users: file {path}", "line 3: 16 fields for 15 columns"
    )


def test_short_rows_and_null_spellings_load_as_null(postgres_server, tmp_path: Path) -> None:
    """A row cut short has NULL for its missing fields; `null` and `NULL` are NULL, not text."""
    raw = one_row_each(tmp_path / "raw")
    path = to_csv(raw, "users")

    def change(header: list[str], row: list[str]) -> list[str]:
        if row[header.index("id")] == "1":
            row[header.index("first_name")] = "null"
            row[header.index("last_name")] = "NULL"
            return row
        return row[: header.index("latitude")]  # user 2: latitude and every later field missing

    rewrite_csv(path, change)
    database = postgres_server.create_database("loader_short_rows")
    result = load(postgres_server, database, raw)
    assert result.returncode == 0, result.stderr
    rows = postgres_server.query(
        database,
        "select id, first_name, last_name, age, latitude, longitude, created_at"
        " from thelook_raw.users order by id",
    )
    assert [row["first_name"] for row in rows] == [None, None]
    assert rows[0]["last_name"] is None and rows[0]["latitude"] == 35.1
    assert rows[1]["age"] == 41
    assert (rows[1]["latitude"], rows[1]["longitude"], rows[1]["created_at"]) == (None, None, None)


def replace_users(raw: Path, name: str, values: pa.Array) -> Path:
    path = raw / "users" / "users-000000000000.parquet"
    table = pq.read_table(path)
    pq.write_table(table.set_column(table.schema.get_field_index(name), name, values), path)
    return path


@pytest.mark.parametrize(
    ("column", "values", "expected"),
    [
        (
            "age",
            pa.array([30.0, 41.5]),
            "column age is stored as double and holds 1 value(s) with a fraction, such as 41.5",
        ),
        (
            "created_at",
            pa.array(["2025-01-01 10:00", "soon"]),
            "column created_at is stored as text, such as 'soon'",
        ),
        (
            "created_at",
            pa.array([1735725600, 1738404000]),
            "column created_at is stored as integer (epoch numbers",
        ),
        ("latitude", pa.array(["35.1", "n/a"]), "column latitude is stored as text, such as 'n/a'"),
    ],
)
def test_parquet_columns_not_of_their_contract_type_are_named(
    postgres_server, database, tmp_path: Path, column: str, values: pa.Array, expected: str
) -> None:
    path = replace_users(one_row_each(tmp_path / "raw"), column, values)
    refused(postgres_server, database, tmp_path / "raw", f"raw table users: file {path} {expected}")


def test_a_whole_valued_float_age_loads_as_an_integer(postgres_server, tmp_path: Path) -> None:
    replace_users(one_row_each(tmp_path / "raw"), "age", pa.array([30.0, None]))
    database = postgres_server.create_database("loader_float_age")
    result = load(postgres_server, database, tmp_path / "raw")
    assert result.returncode == 0, result.stderr
    assert postgres_server.query(database, "select age from thelook_raw.users order by id") == [
        {"age": 30},
        {"age": None},
    ]


def test_gzip_csv_and_hive_partitioned_folders_load(postgres_server, tmp_path: Path) -> None:
    raw = one_row_each(tmp_path / "raw")
    csv = to_csv(raw, "users")
    with csv.open("rb") as src, gzip.open(f"{csv}.gz", "wb") as dst:
        shutil.copyfileobj(src, dst)
    csv.unlink()
    events = raw / "events" / "events-000000000000.parquet"
    (raw / "events" / "dt=2026-01-01").mkdir()
    shutil.move(events, raw / "events" / "dt=2026-01-01" / "part-0.parquet")
    (raw / "events" / "_SUCCESS").write_text("")
    result = load(postgres_server, postgres_server.create_database("loader_layouts"), raw)
    assert result.returncode == 0, result.stderr
    assert "thelook_raw.users: 2 rows from 1 csv file(s)" in result.stdout
    assert "thelook_raw.events: 1 rows from 1 parquet file(s)" in result.stdout


def test_a_folder_with_both_formats_is_named(postgres_server, database, tmp_path: Path) -> None:
    raw = one_row_each(tmp_path / "raw")
    (raw / "orders" / "extra.csv").write_text("order_id\n")
    refused(postgres_server, database, raw, "raw table orders: folder", "holds both Parquet")
