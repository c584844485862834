"""PostgreSQL for real: `customer-mart load` fills a throwaway server, `dbt build --target postgres`
runs every model, data test and unit test on it, and the mart equals the DuckDB mart built from
the same raw files, row by row."""

from __future__ import annotations

import datetime as dt
import json
import math
import subprocess
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import BIN_DIR, cli_env

from customer_mart.load import LoadError, load_postgres
from customer_mart.schema import COLUMNS

RAW_SCHEMA = "thelook_raw"
MART_SCHEMA = "customer_mart"


def load_with_cli(server, database: str, raw_dir: Path, *options: str) -> str:
    """`customer-mart load --target postgres --raw-dir DIR`, configured only by libpq variables."""
    env = cli_env(**server.env(database))
    result = subprocess.run(
        [str(BIN_DIR / "customer-mart"), "load", "--target", "postgres", "--raw-dir", str(raw_dir), *options],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def write_csv_table(raw: Path, table: str, text: str) -> None:
    (raw / table).mkdir(parents=True, exist_ok=True)
    (raw / table / f"{table}-000000000000.csv").write_text(text)


def empty_csv_tables(raw: Path, except_: set[str]) -> None:
    for table, columns in COLUMNS.items():
        if table not in except_:
            write_csv_table(raw, table, ",".join(name for name, _ in columns) + "\n")


def test_loader_reads_csv_as_duckdb_does(postgres_server, tmp_path):
    raw = tmp_path / "raw"
    header = ",".join(name for name, _ in COLUMNS["users"]) + ",user_geom\n"
    write_csv_table(
        raw,
        "users",
        header
        # Quoted values, a comma and a quote inside quotes, an extra column that is ignored.
        + '1,"Ann","O""Neil","a@x",30,F,"Texas","1, Main St",75063,Irving,United States,32.9,-96.9,'
        "Search,2024-01-01 10:00:00,POINT(1 2)\n"
        # Empty, null and NULL are NULL; an offset is converted to UTC; BigQuery's " UTC" suffix.
        + '2,,null,NULL,"",M,,,,,,,,Email,2024-03-01 10:00:00+02:00,\n'
        + "3,C,D,e,40,F,,,,,,,,,2024-03-01 10:00:00 UTC,\n"
        # A row cut short: the missing fields are NULL.
        + "4,E,F\n",
    )
    empty_csv_tables(raw, except_={"users"})

    database = postgres_server.create_database("loader_csv")
    empty = [option for table in COLUMNS if table != "users" for option in ("--allow-empty", table)]
    out = load_with_cli(postgres_server, database, raw, *empty)
    assert f"{RAW_SCHEMA}.users: 4 rows from 1 csv file(s)" in out

    rows = postgres_server.query(database, f"select * from {RAW_SCHEMA}.users order by id")
    # The contract's columns, then the file each row came from, as Spectrum names it.
    assert [list(row) for row in rows][0] == [name for name, _ in COLUMNS["users"]] + ["$path", "$size"]
    assert {row["$path"] for row in rows} == {(raw / "users" / "users-000000000000.csv").resolve().as_posix()}
    assert {row["$size"] for row in rows} == {(raw / "users" / "users-000000000000.csv").stat().st_size}
    one, two, three, four = rows
    assert (one["last_name"], one["street_address"], one["postal_code"]) == ('O"Neil', "1, Main St", "75063")
    assert (one["age"], one["latitude"]) == (30, 32.9)
    assert one["created_at"] == dt.datetime(2024, 1, 1, 10, tzinfo=dt.UTC)
    assert (two["first_name"], two["last_name"], two["email"], two["age"]) == (None, None, None, None)
    assert two["created_at"] == dt.datetime(2024, 3, 1, 8, tzinfo=dt.UTC)
    assert three["created_at"] == dt.datetime(2024, 3, 1, 10, tzinfo=dt.UTC)
    assert (four["first_name"], four["last_name"], four["email"], four["created_at"]) == (
        "E",
        "F",
        None,
        None,
    )

    types = postgres_server.query(
        database,
        "select column_name, data_type from information_schema.columns"
        f" where table_schema = '{RAW_SCHEMA}' and table_name = 'users'",
    )
    kinds = {row["column_name"]: row["data_type"] for row in types}
    assert (kinds["id"], kinds["latitude"], kinds["email"]) == ("bigint", "double precision", "text")
    assert kinds["created_at"] == "timestamp with time zone"


def test_loader_replaces_rows_and_keeps_what_is_built_on_them(postgres_server, tmp_path):
    raw = tmp_path / "raw"
    header = ",".join(name for name, _ in COLUMNS["distribution_centers"]) + "\n"
    write_csv_table(
        raw, "distribution_centers", header + "1,Memphis TN,35.1174,-89.9711\n2,Chicago IL,41.8,-87.6\n"
    )
    empty_csv_tables(raw, except_={"distribution_centers"})
    database = postgres_server.create_database("loader_reload")
    env = postgres_server.env(database)
    empty = set(COLUMNS) - {"distribution_centers"}
    assert load_postgres(raw, env=env, log=lambda _: None, allow_empty=empty)["distribution_centers"] == 2

    connection = postgres_server.connect(database)
    with connection, connection.cursor() as cursor:
        cursor.execute(f"create view public.centers as select * from {RAW_SCHEMA}.distribution_centers")
    connection.close()

    write_csv_table(raw, "distribution_centers", header + "3,Houston TX,29.7,-95.3\n")
    assert load_postgres(raw, env=env, log=lambda _: None, allow_empty=empty)["distribution_centers"] == 1
    assert postgres_server.query(database, "select id from public.centers") == [{"id": 3}]

    # A folder with neither format, or a table of other columns, is refused with the reason.
    (raw / "orders" / "orders-000000000000.csv").unlink()
    with pytest.raises(LoadError, match="raw table orders: no file in"):
        load_postgres(raw, env=env, log=lambda _: None, allow_empty=empty)


def assert_same_marts(duckdb_rows: list[dict], postgres_rows: list[dict]) -> None:
    """Equal row by row: integers, text and dates exactly, amounts to the cent, doubles to 1e-9."""
    assert duckdb_rows and len(duckdb_rows) == len(postgres_rows)
    assert list(duckdb_rows[0]) == list(postgres_rows[0]), "columns differ"
    differences = []
    for duck, pg in zip(duckdb_rows, postgres_rows, strict=True):
        for column, want in duck.items():
            have = pg[column]
            if isinstance(want, float) and isinstance(have, float):
                same = math.isclose(have, want, rel_tol=1e-9, abs_tol=0.0)
            elif isinstance(want, Decimal) and isinstance(have, Decimal):
                same = want.quantize(Decimal("0.01")) == want and have == want
            else:
                same = type(have) is type(want) and have == want
            if not same:
                differences.append((duck["user_id"], column, want, have))
    assert not differences, (
        f"{len(differences)} differences (user, column, duckdb, postgres): {differences[:10]}"
    )


def build_on_duckdb_and_postgres(
    dbt_project, server, raw_dir: Path, file_format: str, as_of: str, database: str
):
    """The mart from the same raw files and as_of_date on both engines, ordered by user_id."""
    vars = {"as_of_date": as_of}
    duckdb = dbt_project(raw_dir, file_format=file_format)
    duckdb.run("run", vars=vars)
    duckdb_rows = duckdb.query("select * from customer_features order by user_id")

    server.create_database(database)
    load_with_cli(server, database, raw_dir)
    env = {**server.env(database), "PGSCHEMA": MART_SCHEMA, "RAW_SCHEMA": RAW_SCHEMA}
    postgres = dbt_project(raw_dir, file_format=file_format, target="postgres", extra_env=env)
    postgres.run("build", vars=vars)  # fails the test on any error

    # Every model, seed, data test and unit test ran on PostgreSQL, and none failed.
    results = json.loads((postgres.workdir / "target" / "run_results.json").read_text())["results"]
    ran = Counter(result["unique_id"].split(".")[0] for result in results)
    assert ran["model"] >= 15 and ran["test"] >= 50 and ran["unit_test"] >= 20, ran
    failed = [r["unique_id"] for r in results if r["status"] in {"error", "fail", "runtime error"}]
    assert not failed, failed

    postgres_rows = server.query(database, f"select * from {MART_SCHEMA}.customer_features order by user_id")
    return duckdb_rows, postgres_rows


def test_official_sample_mart_is_the_same_on_postgres_and_duckdb(
    dbt_project, postgres_server, official_sample_dir
):
    duckdb_rows, postgres_rows = build_on_duckdb_and_postgres(
        dbt_project, postgres_server, official_sample_dir, "csv", "2026-07-01", "official_sample"
    )
    assert len(duckdb_rows) > 2700
    assert_same_marts(duckdb_rows, postgres_rows)


def test_generated_mart_is_the_same_on_postgres_and_duckdb(dbt_project, postgres_server, small_generated_dir):
    duckdb_rows, postgres_rows = build_on_duckdb_and_postgres(
        dbt_project, postgres_server, small_generated_dir, "parquet", "2026-06-30", "generated"
    )
    assert len(duckdb_rows) > 1900
    assert {row["profit_level"] for row in postgres_rows} == {1, 2, 3}
    assert_same_marts(duckdb_rows, postgres_rows)


def test_the_comparison_notices_a_cent_and_a_type():
    base = {"user_id": 1, "amount": Decimal("10.00"), "rate": 0.5, "source": "Email", "n": 1}
    assert_same_marts([base], [dict(base, rate=0.5 * (1 + 1e-12))])
    for changed in ({"amount": Decimal("10.01")}, {"rate": 0.5001}, {"source": "email"}, {"n": 1.0}):
        with pytest.raises(AssertionError, match="1 differences"):
            assert_same_marts([base], [dict(base, **changed)])


def test_without_postgres_the_tests_skip_with_how_to_install_it_except_in_ci():
    from postgres_server import require_bin_dir

    with pytest.raises(pytest.skip.Exception, match="apt-get install -y postgresql"):
        require_bin_dir(env={}, finder=lambda: None)
    with pytest.raises(pytest.fail.Exception, match="CI=true"):
        require_bin_dir(env={"CI": "true"}, finder=lambda: None)
