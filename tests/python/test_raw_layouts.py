"""Raw folders as exports really arrive (issue #13 item 6, #11 item 6), on DuckDB.

Layouts: BigQuery's gzip CSV (`*.csv.gz`), plain CSV, and Parquet or CSV in nested or
Hive-partitioned folders (`events/dt=2026-11-23/part-0.parquet`) build the same mart as plain
files, with the format detected from the files (RAW_FILE_FORMAT unset); partition folders add no
column. Faults: a value that is not of its contract type stops the build before any model runs,
naming table, file, column and an example; a UTF-8 byte-order mark just works.
The dbt commands run in this process on a project parsed once (tests/python/dbt_inprocess.py).
"""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from dbt_inprocess import InProcessDbt
from test_settings import TRACEBACK, small_raw

AS_OF = "2026-06-30"


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from customer_mart.generate import generate

    out = tmp_path_factory.mktemp("layouts") / "plain"
    generate(users=300, seed=11, out=str(out), file_format="parquet", now=AS_OF, progress=False)
    return out


@pytest.fixture(scope="module")
def dbt(tmp_path_factory: pytest.TempPathFactory, plain: Path) -> InProcessDbt:
    workdir = tmp_path_factory.mktemp("layouts-dbt")
    return InProcessDbt(
        workdir,
        env={
            "DUCKDB_PATH": str(workdir / "warehouse.duckdb"),
            "RAW_DATA_DIR": str(plain),
            "RAW_FILE_FORMAT": None,
        },
    )


def mart(dbt: InProcessDbt, raw: Path) -> list[tuple]:
    outcome = dbt.run("run", "--full-refresh", vars={"as_of_date": AS_OF}, env={"RAW_DATA_DIR": str(raw)})
    assert outcome.success, outcome.text
    return dbt.query("select * from customer_features order by user_id")


def as_csv_gz(plain: Path, out: Path) -> Path:
    """Every table as BigQuery writes it: `<table>-000000000000.csv.gz`, timestamps with ' UTC'."""
    with duckdb.connect() as con:
        con.execute("set TimeZone = 'UTC'")
        for folder in plain.iterdir():
            (out / folder.name).mkdir(parents=True)
            target = out / folder.name / f"{folder.name}-000000000000.csv"
            con.execute(f"copy (select * from read_parquet('{folder}/*.parquet')) to '{target}' (header)")
            with target.open("rb") as src, gzip.open(f"{target}.gz", "wb") as dst:
                shutil.copyfileobj(src, dst)
            target.unlink()
    return out


def as_hive_partitions(plain: Path, out: Path) -> Path:
    """Events split by day into `dt=YYYY-MM-DD/part-0.parquet`, order items in a nested folder,
    the other tables as they are; a `_SUCCESS` marker and a hidden file that must be ignored."""
    out.mkdir(parents=True)
    with duckdb.connect() as con:
        con.execute("set TimeZone = 'UTC'")
        events = f"read_parquet('{plain}/events/*.parquet')"
        con.execute(
            f"copy (select *, strftime(created_at, '%Y-%m') as dt from {events}) to '{out}/events'"
            " (format parquet, partition_by (dt))"
        )
    for folder in plain.iterdir():
        if folder.name == "events":
            continue
        target = out / folder.name / ("2026/06" if folder.name == "order_items" else "")
        target.mkdir(parents=True)
        for file in folder.glob("*.parquet"):
            shutil.copy(file, target / file.name)
    (out / "events" / "_SUCCESS").write_text("")
    (out / "users" / ".users.parquet.crc").write_text("")
    assert len(list((out / "events").glob("dt=*/*.parquet"))) > 3
    return out


def test_csv_gz_and_hive_partitioned_folders_build_the_plain_mart(
    dbt: InProcessDbt, plain: Path, tmp_path: Path
) -> None:
    expected = mart(dbt, plain)
    assert len(expected) > 200
    assert mart(dbt, as_csv_gz(plain, tmp_path / "gz")) == expected
    hive = as_hive_partitions(plain, tmp_path / "hive")
    assert mart(dbt, hive) == expected
    # The partition folder names add no column to the raw table.
    columns = dbt.query("select column_name from information_schema.columns where table_name = 'events'")
    assert "dt" not in {name for (name,) in columns}


def as_gzip_shards(plain: Path, out: Path, shards: int) -> Path:
    """Events as BigQuery exports a big table: many small `*.csv.gz` shards, here in partition
    folders, one of them with its columns in another order and an extra column; the other
    tables as they are."""
    shutil.copytree(plain, out, ignore=shutil.ignore_patterns("events"))
    with duckdb.connect() as con:
        con.execute("set TimeZone = 'UTC'")
        con.execute(f"create table events as select * from read_parquet('{plain}/events/*.parquet')")
        names = [name for (name,) in con.execute("select column_name from (describe events)").fetchall()]
        for shard in range(shards):
            folder = out / "events" / f"dt=2026-{shard % 12 + 1:02d}-01"
            folder.mkdir(parents=True, exist_ok=True)
            columns = ", ".join(names) if shard else ", ".join(["'x' as export_note", *reversed(names)])
            con.execute(
                f"copy (select {columns} from events where id % {shards} = {shard})"
                f" to '{folder}/events-{shard:012d}.csv.gz' (header, compression gzip)"
            )
    return out


def test_hundreds_of_gzip_shards_are_read_within_the_memory_limit(
    dbt: InProcessDbt, plain: Path, tmp_path: Path
) -> None:
    """DuckDB's union_by_name sniffs every file at once, about 20 MB per gzip file: 300 shards
    needed some 6 GB and stopped the start-of-run type check with "Out of Memory Error". Read in
    groups of the same header (raw_reader), they build the plain mart within 1 GB."""
    expected = mart(dbt, plain)
    sharded = as_gzip_shards(plain, tmp_path / "shards", shards=300)
    with_limit = {"RAW_DATA_DIR": str(sharded), "DUCKDB_MEMORY_LIMIT": "1GB"}
    outcome = dbt.run("run", "--full-refresh", vars={"as_of_date": AS_OF}, env=with_limit)
    assert outcome.success, outcome.text
    assert dbt.query("select * from customer_features order by user_id", env=with_limit) == expected
    assert len(list(sharded.glob("events/dt=*/*.csv.gz"))) == 300
    with duckdb.connect() as con:
        events = con.execute(f"select count(*) from read_parquet('{plain}/events/*.parquet')").fetchone()[0]
    counts = dbt.query(
        "select sum(rows_read), sum(rows_cut_short) from profile_thelook__events", env=with_limit
    )
    assert counts == [(events, 0)]


def test_the_official_bigquery_export_is_read_gzipped(dbt: InProcessDbt) -> None:
    """tests/fixtures/official-sample-3k is BigQuery's gzip CSV export, read in place."""
    from conftest import FIXTURES_DIR

    outcome = dbt.run(
        "seed", vars={"as_of_date": AS_OF}, env={"RAW_DATA_DIR": str(FIXTURES_DIR / "official-sample-3k")}
    )
    assert outcome.success, outcome.text
    assert dbt.query("select count(*) from thelook_raw.distribution_centers") == [(10,)]


def refused(dbt: InProcessDbt, raw: Path, *expected: str) -> None:
    outcome = dbt.run("seed", vars={"as_of_date": AS_OF}, env={"RAW_DATA_DIR": str(raw)})
    assert not outcome.success
    for part in expected:
        assert part in outcome.text, f"{part!r} not in:\n{outcome.text}"
    assert TRACEBACK not in outcome.text


def replace_users(raw: Path, columns: dict[str, pa.Array]) -> Path:
    """The users Parquet file with some columns replaced (same rows)."""
    path = raw / "users" / "users-000000000000.parquet"
    table = pq.read_table(path)
    for name, values in columns.items():
        table = table.set_column(table.schema.get_field_index(name), name, values)
    pq.write_table(table, path)
    return path


def test_parquet_timestamps_as_text_are_refused(dbt: InProcessDbt, tmp_path: Path) -> None:
    path = replace_users(
        small_raw(tmp_path / "raw"), {"created_at": pa.array(["2025-01-01 10:00:00", "yesterday"])}
    )
    refused(
        dbt,
        tmp_path / "raw",
        f"raw table users: file {path}: column created_at is stored as text",
        '"yesterday"',
        "TIMESTAMP",
    )


def test_parquet_timestamps_as_epoch_integers_are_refused(dbt: InProcessDbt, tmp_path: Path) -> None:
    replace_users(small_raw(tmp_path / "raw"), {"created_at": pa.array([1735725600, 1738404000], pa.int64())})
    refused(
        dbt,
        tmp_path / "raw",
        "column created_at is stored as BIGINT",
        "epoch numbers have no known unit or zone",
    )


def test_parquet_latitude_as_text_is_refused_with_the_bad_value(dbt: InProcessDbt, tmp_path: Path) -> None:
    replace_users(small_raw(tmp_path / "raw"), {"latitude": pa.array(["35.1", "n/a"])})
    refused(
        dbt,
        tmp_path / "raw",
        "raw table users",
        'column latitude is stored as text, such as "n/a"',
        "FLOAT64",
    )


def test_a_fractional_parquet_age_is_refused_not_rounded(dbt: InProcessDbt, tmp_path: Path) -> None:
    replace_users(small_raw(tmp_path / "raw"), {"age": pa.array([30.0, 41.5])})
    refused(
        dbt,
        tmp_path / "raw",
        "column age is stored as DOUBLE and holds 1 value(s) with a fraction, such as 41.5",
    )


def test_a_whole_valued_float_age_is_accepted(dbt: InProcessDbt, tmp_path: Path) -> None:
    """pandas writes an integer column with NULLs as float64: whole values lose nothing."""
    replace_users(small_raw(tmp_path / "raw"), {"age": pa.array([30.0, None])})
    outcome = dbt.run("seed", vars={"as_of_date": AS_OF}, env={"RAW_DATA_DIR": str(tmp_path / "raw")})
    assert outcome.success, outcome.text


def csv_users(tmp_path: Path, text: bytes) -> Path:
    raw = small_raw(tmp_path / "raw")
    (raw / "users" / "users-000000000000.parquet").unlink()
    for folder in raw.iterdir():
        for parquet in folder.glob("*.parquet"):
            with duckdb.connect() as con:
                con.execute(
                    f"copy (select * from read_parquet('{parquet}')) to '{parquet.with_suffix('.csv')}'"
                )
            parquet.unlink()
    (raw / "users" / "users-000000000000.csv").write_bytes(text)
    return raw


HEADER = (
    b"id,first_name,last_name,email,age,gender,state,street_address,postal_code,city,country,"
    b"latitude,longitude,traffic_source,created_at\n"
)


def test_a_csv_latitude_that_is_not_a_number_is_named(dbt: InProcessDbt, tmp_path: Path) -> None:
    raw = csv_users(
        tmp_path,
        HEADER
        + b"1,A,B,e,30,F,,,,,,35.1,-90,Email,2025-01-01 10:00:00\n"
        + b"2,C,D,f,41,M,,,,,,n/a,-87.6,Email,2025-02-01\n",
    )
    refused(
        dbt,
        raw,
        "raw table users: column latitude holds 1 value(s) that are not numbers (FLOAT64",
        '"n/a"',
        str(raw / "users" / "users-000000000000.csv"),
    )


def test_a_csv_with_a_byte_order_mark_is_read(dbt: InProcessDbt, tmp_path: Path) -> None:
    raw = csv_users(
        tmp_path, b"\xef\xbb\xbf" + HEADER + b"1,A,B,e,30,F,,,,,,35.1,-90,Email,2025-01-01 10:00:00\n"
    )
    outcome = dbt.run("seed", vars={"as_of_date": AS_OF}, env={"RAW_DATA_DIR": str(raw)})
    assert outcome.success, outcome.text
    assert dbt.query("select id from thelook_raw.users") == [("1",)]


def test_a_folder_with_another_kind_of_file_or_none_is_named(dbt: InProcessDbt, tmp_path: Path) -> None:
    raw = small_raw(tmp_path / "raw")
    (raw / "orders" / "orders.json").write_text("{}")
    refused(dbt, raw, "raw table orders: file", "orders.json is not a raw data file")
    (raw / "orders" / "orders.json").unlink()
    (raw / "orders" / "orders-000000000000.parquet").unlink()
    refused(dbt, raw, "raw table orders: no file in", "*.parquet, *.csv or *.csv.gz")
